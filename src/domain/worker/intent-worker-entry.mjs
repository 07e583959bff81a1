/**
 * Entry file of the intent worker thread when the server runs as TypeScript (tsx, vitest). Vitest compiles TypeScript
 * inside its own module runner, which a worker thread does not inherit (a `.ts` entry fails there with "Unknown file
 * extension"), so this plain ESM file loads the TypeScript body through tsx's scoped `tsImport`, which works whether or
 * not tsx is registered. The compiled server (`dist/`) starts the compiled body directly and never loads this file.
 */
import { tsImport } from 'tsx/esm/api';

await tsImport('./intent-worker.ts', import.meta.url);
