/**
 * Real Chromium for the console's browser tests, driven by playwright-core: Debian's `chromium` (`.ci/run` installs
 * it), headless, with the background-networking features off and a fresh profile. Also builds the front end with
 * Vite, as `npm run build` does, so the tests serve what production serves.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { CONSOLE_DIST_DIR } from '../../src/console/console-routes.js';

/** Where Debian's package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Builds web/console into its dist directory (a few seconds). */
export async function buildConsole(): Promise<void> {
  await build({ configFile: path.resolve('web/console/vite.config.ts'), logLevel: 'error' });
  if (!existsSync(path.join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the Vite build wrote no ${CONSOLE_DIST_DIR}/index.html`);
}

/** Launches headless Chromium; `extraArgs` adds switches (the fake microphone). Throws a clear error when absent. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  // A persistent context on a fresh directory is how playwright passes `--user-data-dir`.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
