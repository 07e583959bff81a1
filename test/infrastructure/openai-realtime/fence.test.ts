import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve('src');
const FENCE = path.join(SRC, 'infrastructure', 'openai-realtime');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|mjs)$/.test(entry.name) ? [full] : [];
  });
}

describe('the Agents SDK fence', () => {
  it('no file under src/ outside infrastructure/openai-realtime/ imports @openai/agents*', () => {
    const files = sourceFiles(SRC);
    const importing = files.filter((file) => /from\s+['"]@openai\/agents|import\(\s*['"]@openai\/agents/.test(readFileSync(file, 'utf8')));
    expect(importing.length).toBeGreaterThan(0);
    expect(importing.filter((file) => !file.startsWith(FENCE + path.sep)).map((file) => path.relative(SRC, file))).toEqual([]);
  });
});
