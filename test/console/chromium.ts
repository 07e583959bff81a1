/**
 * Real Chromium for the console's browser tests, driven by playwright-core: Debian's `chromium` (`.ci/run` installs
 * it), headless, with the background-networking features off and a fresh profile. Also builds the front end with
 * Vite, as `npm run build` does, so the tests serve what production serves; `startConsoleInChromium` brings up both
 * sides of a browser test (the real server on loopback and the browser) in one call.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { loadConfig } from '../../src/config.js';
import { CONSOLE_DIST_DIR } from '../../src/console/console-routes.js';
import { createLogger } from '../../src/logger.js';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';

/** Where Debian's package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Builds web/console into its dist directory (a few seconds). */
export async function buildConsole(): Promise<void> {
  await build({ configFile: path.resolve('web/console/vite.config.ts'), logLevel: 'error' });
  if (!existsSync(path.join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the Vite build wrote no ${CONSOLE_DIST_DIR}/index.html`);
}

/** A launched Chromium: its one persistent context, and `close`, which also deletes the fresh profile. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Where the browser tests write their screenshots (created by `startConsoleInChromium`). */
export const SCREENSHOT_DIR = path.resolve('out');

/** Launches headless Chromium; `extraArgs` adds switches (the fake microphone). Throws a clear error when absent. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Chromium> {
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

/** Options of {@link startConsoleInChromium}. */
export interface ConsoleInChromiumOptions {
  /** ws:// URL of the Realtime fake the bot talks to (no OpenAI key). */
  readonly realtimeUrl: string;
  readonly publicBaseUrl: string;
  /** A 32-hex-digit Twilio auth token. */
  readonly authToken: string;
  /** `ADMIN_API_KEY`: the key the console's login asks for. */
  readonly adminKey: string;
  /** Extra Chromium switches (the fake microphone). */
  readonly chromiumArgs?: readonly string[];
}

/** The real server listening on loopback with the console served, and Chromium to drive it. */
export interface ConsoleInChromium {
  readonly bot: VoiceBot;
  /** `http://127.0.0.1:<port>` of the listening server. */
  readonly baseUrl: string;
  readonly browser: Chromium;
  /** Closes Chromium, then the server. */
  close(): Promise<void>;
}

/**
 * Builds the console, starts the voice bot (keyword classifier, in-memory call records, warn-level logs) on a free
 * loopback port and launches Chromium, as every browser test does; a failure part-way closes what was started.
 */
export async function startConsoleInChromium(options: ConsoleInChromiumOptions): Promise<ConsoleInChromium> {
  await buildConsole();
  const config = loadConfig({
    PUBLIC_BASE_URL: options.publicBaseUrl,
    TWILIO_AUTH_TOKEN: options.authToken,
    OPENAI_REALTIME_URL: options.realtimeUrl,
    CLASSIFIER: 'keyword',
    ADMIN_API_KEY: options.adminKey,
    PORT: '0',
  });
  const bot = await createVoiceBot(config, { logger: createLogger('warn'), orchestratorThread: 'main', recordStore: await createMemoryCallRecordStore() });
  try {
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(bot.app.server.address() as AddressInfo).port}`;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const browser = await launchChromium(options.chromiumArgs);
    return {
      bot,
      baseUrl,
      browser,
      async close() {
        await browser.close();
        await bot.close();
      },
    };
  } catch (error) {
    await bot.close();
    throw error;
  }
}
