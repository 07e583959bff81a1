/**
 * Liveness end to end: the real server on loopback, the Realtime fake (or a black hole) upstream, a minimal Twilio
 * on the other side. Each case measures the time from the moment a watchdog fires (its log line) to what the caller
 * hears: the retried reply's first audio, or the stream's close (Twilio then plays the fallback TwiML).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { DEFAULT_APOLOGY } from '../../src/telephony/twiml.js';
import { RealtimeFakeServer, type RealtimeFakeServerOptions } from '../../fakes/realtime-server.js';
import { captureLogger } from '../telephony/fakes.js';
import { startTwilioCall, type TwilioDriver } from './twilio-driver.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'd9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9';
/** What the issue allows between a watchdog firing and the caller hearing something. */
const HEARS_SOMETHING_WITHIN_MS = 2_000;

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Harness {
  readonly bot: VoiceBot;
  readonly lines: Array<Record<string, unknown>>;
  readonly ended: CallSummary[];
  readonly localUrl: string;
}

async function startBot(realtimeUrl: string): Promise<Harness> {
  const config = loadConfig({
    PUBLIC_BASE_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_REALTIME_URL: realtimeUrl,
    CLASSIFIER: 'keyword',
    LOG_LEVEL: 'info',
    REALTIME_CONNECT_TIMEOUT_MS: '1000',
    REALTIME_PING_INTERVAL_MS: '500',
    REALTIME_PONG_TIMEOUT_MS: '500',
    RESPONSE_WATCHDOG_MS: '1000',
    MEDIA_WATCHDOG_MS: '1000',
    // The fallback paths of a lost session: no new session is opened here (test/call/realtime-reconnect.test.ts).
    REALTIME_MAX_RECONNECTS: '0',
  });
  const { logger, lines } = captureLogger('info');
  const ended: CallSummary[] = [];
  const bot = await createVoiceBot(config, { logger, store: createMemoryCheckpointer(), onCallEnded: (s) => ended.push(s) });
  cleanup.push(() => bot.close());
  await bot.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = bot.app.server.address() as AddressInfo;
  return { bot, lines, ended, localUrl: `http://127.0.0.1:${port}` };
}

async function startFake(options: RealtimeFakeServerOptions): Promise<RealtimeFakeServer> {
  const fake = await RealtimeFakeServer.start(options);
  cleanup.push(() => fake.close());
  return fake;
}

async function call(h: Harness, callSid: string): Promise<TwilioDriver> {
  const driver = await startTwilioCall({ localUrl: h.localUrl, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid });
  cleanup.push(() => driver.hangUp());
  return driver;
}

async function until(condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Epoch ms of the first log line with this message (pino's `time`). */
function loggedAt(h: Harness, msg: string): number {
  const line = h.lines.find((l) => l.msg === msg);
  if (!line) throw new Error(`no "${msg}" line`);
  return line.time as number;
}

const REPLY = { transcript: 'Sorry about that, how can I help?', durationMs: 400 };

describe('liveness: the caller never sits in dead air', () => {
  it('a failed response (error + response.done failed) is retried at once and the reply is heard within 2 s', async () => {
    const fake = await startFake({ script: { greeting: { fault: 'fail' }, fallbackReply: REPLY } });
    const h = await startBot(fake.url);
    const driver = await call(h, 'CA_LIVE_FAIL_00000000000000000000000');
    await until(() => driver.mediaAt.length > 0);
    const firedAt = loggedAt(h, 'response failed; retrying once');
    const heardAfterMs = (driver.mediaAt[0] ?? Infinity) - firedAt;
    expect(heardAfterMs).toBeLessThan(HEARS_SOMETHING_WITHIN_MS);
    expect(fake.clientEvents('response.create')).toHaveLength(2);
    expect(h.lines.find((l) => l.msg === 'response failed; retrying once')).toMatchObject({ failure: 'response_failed' });
    expect(driver.closedAt).toBeUndefined();
    console.info(`[measure] failed response -> retried reply heard after ${heardAfterMs} ms`);
  });

  it('a response that stalls after response.created is cancelled and retried after the watchdog time, heard within 2 s', async () => {
    const fake = await startFake({ script: { greeting: { fault: 'stall' }, fallbackReply: REPLY } });
    const h = await startBot(fake.url);
    const driver = await call(h, 'CA_LIVE_STALL_0000000000000000000000');
    await until(() => driver.mediaAt.length > 0);
    const firedAt = loggedAt(h, 'response failed; retrying once');
    const heardAfterMs = (driver.mediaAt[0] ?? Infinity) - firedAt;
    expect(heardAfterMs).toBeLessThan(HEARS_SOMETHING_WITHIN_MS);
    expect(fake.clientEvents('response.cancel')).toHaveLength(1);
    expect(fake.clientEvents('response.create')).toHaveLength(2);
    console.info(`[measure] stalled response -> retried reply heard after ${heardAfterMs} ms`);
  });

  it('a retry that fails too hands the call to the fallback: the stream closes within 2 s and Twilio gets the apology', async () => {
    const fake = await startFake({ script: { greeting: { fault: 'fail' }, fallbackReply: { fault: 'fail' } } });
    const h = await startBot(fake.url);
    const driver = await call(h, 'CA_LIVE_FAIL2_0000000000000000000000');
    await until(() => driver.closedAt !== undefined);
    const firedAt = loggedAt(h, 'retried response failed too; handing the call to the fallback');
    const closedAfterMs = (driver.closedAt ?? Infinity) - firedAt;
    expect(closedAfterMs).toBeLessThan(HEARS_SOMETHING_WITHIN_MS);
    expect(driver.mediaAt).toEqual([]);
    await until(() => h.ended.length === 1 && fake.openConnections === 0);
    expect(h.ended[0]?.reason).toBe('realtime_unresponsive');
    expect(await driver.fetchFallback()).toContain(DEFAULT_APOLOGY);
    console.info(`[measure] failed retry -> stream closed (fallback TwiML) after ${closedAfterMs} ms`);
  });

  it('a Realtime server that stalls completely (pings unanswered) ends the call at the pong deadline, stream closed within 2 s', async () => {
    const fake = await startFake({ script: { greeting: REPLY } });
    const h = await startBot(fake.url);
    const driver = await call(h, 'CA_LIVE_HANG_00000000000000000000000');
    await until(() => driver.mediaAt.length > 0);
    fake.stall();
    await until(() => driver.closedAt !== undefined);
    const firedAt = loggedAt(h, 'realtime socket answered no ping; ending the session');
    const closedAfterMs = (driver.closedAt ?? Infinity) - firedAt;
    expect(closedAfterMs).toBeLessThan(HEARS_SOMETHING_WITHIN_MS);
    await until(() => h.ended.length === 1);
    expect(h.ended[0]?.reason).toBe('realtime_error');
    console.info(`[measure] stalled Realtime socket -> stream closed after ${closedAfterMs} ms past the pong deadline`);
  });

  it('a Realtime upgrade that is never answered fails at the connect deadline, stream closed within 2 s', async () => {
    const sockets: net.Socket[] = [];
    const hole = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => hole.close(() => resolve()));
    });
    const h = await startBot(`ws://127.0.0.1:${(hole.address() as AddressInfo).port}/v1/realtime`);
    const driver = await call(h, 'CA_LIVE_HOLE_00000000000000000000000');
    await until(() => driver.closedAt !== undefined);
    const firedAt = loggedAt(h, 'realtime session could not be opened');
    const closedAfterMs = (driver.closedAt ?? Infinity) - firedAt;
    expect(closedAfterMs).toBeLessThan(HEARS_SOMETHING_WITHIN_MS);
    await until(() => h.ended.length === 1);
    expect(h.ended[0]?.reason).toBe('realtime_connect_failed');
    expect(await driver.fetchFallback()).toContain(DEFAULT_APOLOGY);
    console.info(`[measure] unanswered Realtime upgrade -> stream closed after ${closedAfterMs} ms past the connect deadline`);
  });

  it('a Twilio side that goes silent ends the call and its Realtime session', async () => {
    const fake = await startFake({ script: { greeting: REPLY } });
    const h = await startBot(fake.url);
    const driver = await call(h, 'CA_LIVE_MUTE_00000000000000000000000');
    await until(() => driver.mediaAt.length > 0);
    const silentFrom = Date.now();
    driver.silence();
    await until(() => driver.closedAt !== undefined);
    const closedAfterMs = (driver.closedAt ?? Infinity) - silentFrom;
    // Watchdog 1 s, checked every 100 ms.
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(1_000 + HEARS_SOMETHING_WITHIN_MS);
    await until(() => h.ended.length === 1 && fake.openConnections === 0);
    expect(h.ended[0]?.reason).toBe('twilio_silent');
    console.info(`[measure] silent Twilio side -> stream and Realtime session closed ${closedAfterMs} ms after the last frame`);
  });
});
