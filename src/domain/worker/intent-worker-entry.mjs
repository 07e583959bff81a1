/**
 * Entry file of the intent worker thread. A worker does not inherit the main thread's tsx loader on Node 20 (a `.ts`
 * entry fails with "Unknown file extension" under `tsx`, `node --import tsx` and vitest alike), so this plain ESM
 * file loads the TypeScript body through tsx's scoped `tsImport`, which works whether or not tsx is registered.
 */
import { tsImport } from 'tsx/esm/api';

await tsImport('./intent-worker.ts', import.meta.url);
