/**
 * Replays one committed fixture through the whole bot (real server on loopback, Realtime fake, keyword
 * orchestrator) with a given call record store, and returns what the caller saw, the call's summary and its record.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fakeServerOptionsForFixture } from '../../scripts/demo/fake-script.js';
import { networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { runSimulatedCall, type SimCallResult } from '../../scripts/sim-caller/sim-caller.js';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { readFixture, type CallFixture } from '../../src/fixtures/call-fixture.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import type { CallRecord } from '../../src/records/call-record.js';
import type { CallRecordStore } from '../../src/records/call-record-store.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { RealtimeFakeServer } from '../fakes/realtime-server.js';

export const PUBLIC_BASE_URL = 'https://bot.example.test';
export const AUTH_TOKEN = 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1';
export const FIXTURES = path.resolve('test/fixtures/calls');

/**
 * Every recorded call replays in real time, with the real model's delays. Several fixtures leave a few hundred ms
 * between the bot's reply and the caller's next words (a key-press reply before "goodbye", a caller who talks on
 * before the first audio); replayed faster than real time on a loaded 2-core CI machine, scheduling delays ate that
 * margin and turned replies into barge-ins the recording does not contain.
 */
const REPLAY_SPEED = 1;

/** Polls until `condition` holds. */
export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What one replay produced. */
export interface ReplayOutcome {
  readonly fixture: CallFixture;
  readonly result: SimCallResult;
  readonly summary: CallSummary | undefined;
  readonly record: CallRecord | undefined;
  readonly fake: RealtimeFakeServer;
  readonly bot: VoiceBot;
}

/**
 * Replays `file` and hands the outcome to `check` while the bot is still up (so it can query the app), then
 * closes everything. `env` adds configuration (e.g. `ADMIN_API_KEY`).
 */
export async function replayWithRecords<T>(
  file: string,
  options: { readonly recordStore: CallRecordStore; readonly env?: Readonly<Record<string, string>>; readonly check: (outcome: ReplayOutcome) => Promise<T> | T },
): Promise<T> {
  const fixture = await readFixture(path.join(FIXTURES, file));
  const speed = REPLAY_SPEED;
  const fake = await RealtimeFakeServer.start(fakeServerOptionsForFixture(fixture, speed));
  const ended: CallSummary[] = [];
  const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', ...options.env });
  const bot = await createVoiceBot(config, {
    logger: createLogger('silent'),
    store: createMemoryCheckpointer(),
    recordStore: options.recordStore,
    onCallEnded: (summary) => ended.push(summary),
  });
  try {
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = bot.app.server.address() as AddressInfo;
    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${port}` }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      speed,
    });
    await until(() => ended.length === 1 && fake.openConnections === 0);
    await bot.telemetry.recordsSink.settled();
    const summary = ended[0];
    const record = summary ? await options.recordStore.getCall(summary.callSid) : undefined;
    return await options.check({ fixture, result, summary, record, fake, bot });
  } finally {
    await bot.close();
    await fake.close();
  }
}
