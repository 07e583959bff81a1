/**
 * A Realtime drop mid-call, end to end: the real server on loopback, the Realtime fake with production timing
 * (session open 300 ms, first audio 800 ms, audio at real time, transcripts 450 ms after the commit) and a minimal
 * Twilio that speaks, plays bot audio at 8 bytes/ms and echoes marks. The fake drops its sockets (a remote close),
 * stalls (a missed pong: a fatal client error) or refuses upgrades; the call must go on in a new session that knows
 * the conversation.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { REALTIME_AUDIO_FORMATS, type RealtimeAudioFormatName } from '../../src/audio/audio-format.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { createMemorySharedCallState, type SharedCallState } from '../../src/store/shared-call-state.js';
import { DEFAULT_APOLOGY } from '../../src/telephony/twiml.js';
import { REALISTIC_REALTIME_TIMING, RealtimeFakeServer, type RecordedEvent } from '../../fakes/realtime-server.js';
import { captureLogger } from '../telephony/fakes.js';
import { startTwilioCall, type TwilioDriver } from './twilio-driver.js';
import { ANSWER, BALANCE_CALL_SCRIPT, GREETING, QUESTION, RESUMED } from './balance-call-script.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Harness {
  readonly bot: VoiceBot;
  readonly fake: RealtimeFakeServer;
  readonly shared: SharedCallState;
  readonly lines: Array<Record<string, unknown>>;
  readonly ended: CallSummary[];
  readonly driver: TwilioDriver;
}

async function startCall(callSid: string, format: RealtimeAudioFormatName = 'pcmu', env: Record<string, string> = {}): Promise<Harness> {
  const fake = await RealtimeFakeServer.start({ script: BALANCE_CALL_SCRIPT, ...REALISTIC_REALTIME_TIMING, transcriptDelayMs: 450 });
  cleanup.push(() => fake.close());
  const config = loadConfig({
    PUBLIC_BASE_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_REALTIME_URL: fake.url,
    CLASSIFIER: 'keyword',
    LOG_LEVEL: 'info',
    REALTIME_AUDIO_FORMAT: format,
    REALTIME_PING_INTERVAL_MS: '500',
    REALTIME_PONG_TIMEOUT_MS: '500',
    ...env,
  });
  const { logger, lines } = captureLogger('info');
  const ended: CallSummary[] = [];
  const shared = await createMemorySharedCallState(config);
  const bot = await createVoiceBot(config, { logger, store: createMemoryCheckpointer(), sharedState: shared, onCallEnded: (s) => ended.push(s) });
  cleanup.push(() => bot.close());
  await bot.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = bot.app.server.address() as AddressInfo;
  const driver = await startTwilioCall({ localUrl: `http://127.0.0.1:${port}`, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid });
  cleanup.push(() => driver.hangUp());
  return { bot, fake, shared, lines, ended, driver };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Client events of one connection, caller audio left out, as `type` or `type:role:text` for items. */
function eventsOf(fake: RealtimeFakeServer, connection: number): string[] {
  return fake
    .clientRecords()
    .filter((r: RecordedEvent) => r.connection === connection && r.event.type !== 'input_audio_buffer.append')
    .map(({ event }) => {
      if (event.type !== 'conversation.item.create') return event.type;
      const item = event.item as { role: string; content: Array<{ type: string; text: string }> };
      return `item:${item.role}:${item.content.map((c) => `${c.type}:${c.text}`).join('|')}`;
    });
}

function appendsOn(fake: RealtimeFakeServer, connection: number): number {
  return fake.clientRecords().filter((r) => r.connection === connection && r.event.type === 'input_audio_buffer.append').length;
}

/** The greeting played, the caller asked the question, and the answer's audio is reaching Twilio. */
async function askAndHearPartOfTheAnswer(h: Harness, heardMs: number): Promise<void> {
  await h.fake.waitForServerEvent((e) => e.type === 'response.done', 10_000);
  await sleep(1_500);
  const greetingDeltas = h.fake.serverEvents('response.output_audio.delta').length;
  h.driver.speak(900);
  await until(() => h.fake.serverEvents('response.output_audio.delta').length > greetingDeltas);
  await sleep(heardMs);
}

describe.each(REALTIME_AUDIO_FORMATS)('a Realtime drop during a reply, REALTIME_AUDIO_FORMAT=%s', (format) => {
  it('opens a new session seeded with the conversation (the reply cut where the caller stopped hearing it), which answers; Twilio stays connected', async () => {
    const h = await startCall(`CA_RECONNECT_REPLY_${format}_000000000`, format);
    await askAndHearPartOfTheAnswer(h, 1_200);
    const bytesBeforeDrop = h.driver.botBytes;
    h.fake.dropConnections(1011, 'server closed the session');
    await h.fake.waitForServerEvent((e) => e.type === 'response.done' && (e.response as { output: Array<{ content?: Array<{ transcript?: string }> }> }).output.some((o) => o.content?.[0]?.transcript === RESUMED), 10_000);

    // The new session got the conversation as items, then a response.create for the cut reply: nothing else.
    const events = eventsOf(h.fake, 1);
    const cut = events.find((e) => e.startsWith('item:assistant:output_text:') && !e.includes(GREETING));
    expect(events).toEqual([
      'session.update',
      `item:assistant:output_text:${GREETING}`,
      `item:user:input_text:${QUESTION}`,
      cut,
      'response.create',
    ]);
    // Cut at a word boundary, short of the whole answer: the caller heard part of it before the drop.
    const heard = (cut ?? '').slice('item:assistant:output_text:'.length);
    expect(heard.length).toBeGreaterThan(0);
    expect(ANSWER.startsWith(heard)).toBe(true);
    expect(heard.length).toBeLessThan(ANSWER.length);

    // The caller hears the resumed answer and keeps talking to the new session; the stream never closed.
    await until(() => h.driver.botBytes > bytesBeforeDrop + 4_000);
    const appendsBefore = appendsOn(h.fake, 1);
    await sleep(300);
    expect(appendsOn(h.fake, 1)).toBeGreaterThan(appendsBefore);
    expect(h.driver.closedAt).toBeUndefined();
    expect(h.bot.calls.activeCalls).toBe(1);
    expect(h.lines.find((l) => l.msg === 'realtime session reconnected')).toMatchObject({ kind: 'reconnect', reconnects: 1, replayed: 3, responded: true });

    // The stored context has the new session's answer after the cut one.
    await sleep(200);
    const stored = await h.shared.loadContext(`CA_RECONNECT_REPLY_${format}_000000000`);
    expect(stored?.turns.map((t) => t.text)).toEqual([GREETING, QUESTION, heard, RESUMED]);
    expect(stored?.replyPending).toBe(false);

    h.driver.hangUp();
    await until(() => h.ended.length === 1);
    expect(h.ended[0]).toMatchObject({ reason: 'twilio_socket_closed', realtimeReconnects: 1 });
    // The call ended here: its context is gone from the store.
    await until(() => h.fake.openConnections === 0);
    await sleep(100);
    expect(await h.shared.loadContext(`CA_RECONNECT_REPLY_${format}_000000000`)).toBeUndefined();
  });
});

describe('Realtime drops', () => {
  it('with STORE_TRANSCRIPTS=false the context never reaches the shared store, and a reconnect still replays it from memory', async () => {
    const callSid = 'CA_RECONNECT_NOSTORE_000000000000000';
    const h = await startCall(callSid, 'pcmu', { STORE_TRANSCRIPTS: 'false' });
    await askAndHearPartOfTheAnswer(h, 1_200);
    expect(await h.shared.loadContext(callSid)).toBeUndefined();
    h.fake.dropConnections(1011, 'server closed the session');
    await until(() => h.lines.some((l) => l.msg === 'realtime session reconnected'));
    await until(() => eventsOf(h.fake, 1).includes('response.create'));
    expect(eventsOf(h.fake, 1).slice(0, 3)).toEqual(['session.update', `item:assistant:output_text:${GREETING}`, `item:user:input_text:${QUESTION}`]);
    await h.fake.waitForServerEvent((e) => e.type === 'response.done' && (e.response as { output: Array<{ content?: Array<{ transcript?: string }> }> }).output.some((o) => o.content?.[0]?.transcript === RESUMED), 10_000);
    await sleep(200);
    expect(await h.shared.loadContext(callSid)).toBeUndefined();
  });

  it('a drop while idle seeds the new session and asks for no response', async () => {
    const h = await startCall('CA_RECONNECT_IDLE_00000000000000000');
    await h.fake.waitForServerEvent('response.done', 10_000);
    await sleep(2_000);
    h.fake.dropConnections();
    await until(() => h.lines.some((l) => l.msg === 'realtime session reconnected'));
    await sleep(1_500);
    expect(eventsOf(h.fake, 1)).toEqual(['session.update', `item:assistant:output_text:${GREETING}`]);
    expect(appendsOn(h.fake, 1)).toBeGreaterThan(0);
    expect(h.driver.closedAt).toBeUndefined();
  });

  it('a stalled session (missed pong: a fatal client error) is replaced the same way', async () => {
    const h = await startCall('CA_RECONNECT_STALL_0000000000000000');
    await h.fake.waitForServerEvent('response.done', 10_000);
    await sleep(1_500);
    h.fake.stall();
    await until(() => h.lines.some((l) => l.msg === 'realtime session reconnected'));
    expect(h.lines.find((l) => l.msg === 'realtime session dropped')).toMatchObject({ reason: 'error' });
    // The log line comes when the items are written; the fake reads them a moment later.
    await until(() => eventsOf(h.fake, 1).length >= 2);
    await sleep(500);
    expect(eventsOf(h.fake, 1)).toEqual(['session.update', `item:assistant:output_text:${GREETING}`]);
    expect(h.driver.closedAt).toBeUndefined();
  });

  it('a refused reconnect counts, the next attempt (after the longer backoff) succeeds', async () => {
    const h = await startCall('CA_RECONNECT_REFUSED_00000000000000');
    await h.fake.waitForServerEvent('response.done', 10_000);
    await sleep(1_000);
    h.fake.refuseConnections(1);
    h.fake.dropConnections();
    await until(() => h.lines.some((l) => l.msg === 'realtime session reconnected'));
    expect(h.lines.filter((l) => l.msg === 'realtime reconnect failed')).toHaveLength(1);
    expect(h.lines.find((l) => l.msg === 'realtime session reconnected')).toMatchObject({ reconnects: 2 });
    expect(h.fake.totalConnections).toBe(2);
    expect(h.driver.closedAt).toBeUndefined();
  });

  it('a third drop, after the second reconnect, hands the call to the fallback apology', async () => {
    const h = await startCall('CA_RECONNECT_THRICE_000000000000000');
    await h.fake.waitForServerEvent('response.done', 10_000);
    for (let drop = 1; drop <= 2; drop++) {
      h.fake.dropConnections();
      await until(() => h.lines.filter((l) => l.msg === 'realtime session reconnected').length === drop);
      await sleep(300);
    }
    expect(h.driver.closedAt).toBeUndefined();
    h.fake.dropConnections();
    await until(() => h.driver.closedAt !== undefined);
    await until(() => h.ended.length === 1);
    expect(h.ended[0]).toMatchObject({ reason: 'realtime_closed', realtimeReconnects: 2 });
    expect(h.fake.totalConnections).toBe(3);
    expect(await h.driver.fetchFallback()).toContain(DEFAULT_APOLOGY);
  });
});
