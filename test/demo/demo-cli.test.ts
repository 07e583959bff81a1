/**
 * The scripts' command lines: `--help` on every script prints usage and exits 0, an unknown option exits non-zero
 * with a message and no stack trace; `npm run demo -- --serve` keeps a server up and prints the console URL, the
 * admin key, PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN, and that key logs in to the console.
 */
import { spawn, execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const TSX = path.resolve('node_modules/.bin/tsx');
const run = promisify(execFile);

async function script(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [file, ...args], { timeout: 50_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('script command lines', () => {
  it.each(['scripts/demo.ts', 'scripts/sim-caller.ts', 'scripts/place-call.ts', 'scripts/calls.ts'])('%s --help prints usage; a bad option gets a message, not a stack', async (file) => {
    const help = await script(file, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toLowerCase()).toContain('usage');
    const bad = await script(file, ['--no-such-option']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('--no-such-option');
    expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('demo --serve prints the console URL, admin key, PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN; the key logs in', async () => {
    const child = spawn(TSX, ['scripts/demo.ts', '--serve', '--port', '0', '--data-dir', path.join('data', `demo-serve-test-${process.pid}`)], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      // Startup (tsx, the intent worker, SQLite) takes seconds, and tens of seconds on a loaded machine.
      const deadline = Date.now() + 80_000;
      while (!/TWILIO_AUTH_TOKEN=\S+/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
      const consoleUrl = /Console: (http:\/\/127\.0\.0\.1:\d+\/console)/.exec(out)?.[1];
      const adminKey = /Admin key: (\S+)/.exec(out)?.[1];
      expect(consoleUrl, `demo --serve printed:\n${out}`).toBeDefined();
      expect(out).toMatch(/PUBLIC_BASE_URL=https:\/\/\S+/);
      expect(out).toMatch(/TWILIO_AUTH_TOKEN=[0-9a-f]{32}/);
      const login = await fetch(`${consoleUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: adminKey }) });
      expect(login.status).toBe(204);
      expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
