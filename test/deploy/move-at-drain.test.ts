/**
 * A drain's deadline with Twilio credentials: the live call is moved, not ended. Two instances share one store (a
 * SQLite file, and Postgres when TEST_DATABASE_URL is set) and one Realtime fake with production timing; a simulated
 * Twilio answers `calls(sid).update({ twiml })` as Twilio does (stream 1 gets `stop` and closes, the new TwiML's
 * `<Connect><Stream>` opens stream 2, routed by the balancer to the instance that is still ready) and the caller goes
 * on talking on stream 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTwilioCallControl, type CallUpdateParams, type TwilioRestClient } from '../../src/actions/twilio-call-control.js';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { openSharedCallState, type SharedCallState } from '../../src/store/shared-call-state.js';
import { REALISTIC_REALTIME_TIMING, RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { openTwilioStream, startTwilioCall, streamParameters, type TwilioDriver } from '../call/twilio-driver.js';
import { freshSchemaUrl } from '../records/pg-schema.js';
import { captureLogger } from '../telephony/fakes.js';
import { SHUTDOWN_CLOSING_LINE } from '../../src/call/call-manager.js';
import { ANSWER, BALANCE_CALL_SCRIPT, GREETING, QUESTION, RESUMED } from '../call/balance-call-script.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Instance {
  readonly bot: VoiceBot;
  readonly shared: SharedCallState;
  readonly ended: CallSummary[];
  readonly lines: Array<Record<string, unknown>>;
  readonly localUrl: string;
}

async function startInstance(config: Config, rest?: TwilioRestClient): Promise<Instance> {
  const { logger, lines } = captureLogger('info');
  const ended: CallSummary[] = [];
  const shared = await openSharedCallState(config, { logger });
  const bot = await createVoiceBot(config, {
    logger,
    store: createMemoryCheckpointer(),
    sharedState: shared,
    recordStore: await createMemoryCallRecordStore(),
    onCallEnded: (summary) => ended.push(summary),
    ...(rest ? { callControl: createTwilioCallControl({ client: rest, logger }) } : {}),
  });
  cleanup.push(() => bot.close());
  await bot.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = bot.app.server.address() as AddressInfo;
  return { bot, shared, ended, lines, localUrl: `http://127.0.0.1:${port}` };
}

/**
 * Twilio's side of `calls(sid).update({ twiml })` for a call on `<Connect><Stream>`: the running stream gets `stop`
 * and closes, then the new document's stream opens (through the balancer: here, the other instance).
 */
class SimulatedTwilio implements TwilioRestClient {
  readonly updates: CallUpdateParams[] = [];
  stream1: TwilioDriver | undefined;
  stream2: TwilioDriver | undefined;
  balancerTarget = '';
  readonly calls: TwilioRestClient['calls'];

  constructor(callSid: string) {
    const calls = (sid: string) => ({
      update: async (params: CallUpdateParams) => {
        this.updates.push(params);
        if (sid !== callSid || params.twiml === undefined) throw Object.assign(new Error('not found'), { code: 20404, status: 404 });
        const twiml = params.twiml;
        // Twilio answers the update, then ends the running stream and starts the new TwiML.
        setTimeout(() => {
          this.stream1?.stopStream();
          void openTwilioStream({ localUrl: this.balancerTarget, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid }, streamParameters(twiml), 2).then((driver) => {
            this.stream2 = driver;
            cleanup.push(() => driver.hangUp());
          });
        }, 50);
        return { sid };
      },
    });
    calls.create = async () => {
      throw new Error('no outbound calls here');
    };
    this.calls = calls;
  }
}

async function moveOnce(store: { readonly label: string; readonly env: Record<string, string> }, callSid: string): Promise<void> {
  const fake = await RealtimeFakeServer.start({ script: BALANCE_CALL_SCRIPT, ...REALISTIC_REALTIME_TIMING, transcriptDelayMs: 450 });
  cleanup.push(() => fake.close());
  const base = { PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', LOG_LEVEL: 'info', ...store.env };
  const twilio = new SimulatedTwilio(callSid);
  const a = await startInstance(loadConfig({ ...base, DRAIN_GRACE_S: '0', DRAIN_TIMEOUT_S: '1' }), twilio);
  const b = await startInstance(loadConfig(base));
  twilio.balancerTarget = b.localUrl;

  // The call runs on A: greeting, the caller's question, and the answer is playing when A's drain deadline comes.
  const stream1 = await startTwilioCall({ localUrl: a.localUrl, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid });
  cleanup.push(() => stream1.hangUp());
  twilio.stream1 = stream1;
  await fake.waitForServerEvent('response.done', 10_000);
  await sleep(1_500);
  const greetingDeltas = fake.serverEvents('response.output_audio.delta').length;
  stream1.speak(900);
  await until(() => fake.serverEvents('response.output_audio.delta').length > greetingDeltas);
  await sleep(300);
  const report = await a.bot.drain();

  expect(report).toMatchObject({ callsMoved: 1, callsEnded: 0, fallbacksMissed: 0 });
  expect(twilio.updates).toHaveLength(1);
  const parameters = streamParameters(twilio.updates[0]?.twiml ?? '');
  // The agent the call runs as now (the keyword classifier sent the balance question to billing).
  expect(parameters).toMatchObject({ callSid, agent: 'billing' });
  expect(twilio.updates[0]?.twiml).toContain(`<Stream url="wss://bot.example.test/twilio/media">`);
  expect(a.ended).toMatchObject([{ callSid, reason: 'moved' }]);
  // Twilio does not fetch the old <Connect action> of a replaced document; the draining instance asked for no apology.
  expect(a.lines.some((l) => l.msg === 'call moved to another instance')).toBe(true);

  // B resumed it: a new session seeded with the conversation, no greeting, the cut answer answered again.
  await until(() => b.bot.calls.activeCalls === 1);
  await fake.waitForServerEvent((e) => e.type === 'response.done' && JSON.stringify(e.response).includes(RESUMED), 10_000);
  const onB = fake
    .clientRecords()
    .filter((r) => r.connection === 1 && r.event.type !== 'input_audio_buffer.append')
    .map(({ event }) =>
      event.type === 'conversation.item.create' ? `${(event.item as { role: string }).role}:${(event.item as { content: Array<{ text: string }> }).content[0]?.text}` : event.type,
    );
  expect(onB[0]).toBe('session.update');
  expect(onB.slice(1, 3)).toEqual([`assistant:${GREETING}`, `user:${QUESTION}`]);
  const cut = (onB[3] ?? '').slice('assistant:'.length);
  expect(ANSWER.startsWith(cut) && cut.length > 0 && cut.length < ANSWER.length).toBe(true);
  expect(onB.slice(4)).toEqual(['response.create']);
  expect(b.lines.find((l) => l.msg === 'call resumed from another instance')).toMatchObject({ replayed: 3, responded: true });
  await until(() => (twilio.stream2?.mediaAt.length ?? 0) > 0);
  const gapMs = (twilio.stream2?.mediaAt[0] ?? Number.NaN) - (stream1.mediaAt.at(-1) ?? Number.NaN);
  console.info(`[measure] move at drain end (${store.label}): last bot audio on stream 1 -> first bot audio on stream 2: ${gapMs} ms`);

  // The caller goes on talking on stream 2, and B's session answers.
  await sleep(2_000);
  const before = fake.serverEvents('response.done').length;
  twilio.stream2?.speak(900);
  await until(() => fake.serverEvents('response.done').length > before, 10_000);
  expect(twilio.stream2?.closedAt).toBeUndefined();
  expect(b.bot.calls.activeCalls).toBe(1);
  // Calls cut: none. B ends the call normally when the caller hangs up.
  twilio.stream2?.hangUp();
  await until(() => b.ended.length === 1);
  expect(b.ended[0]).toMatchObject({ callSid, reason: 'twilio_socket_closed' });
  await sleep(100);
  expect(await b.shared.loadContext(callSid)).toBeUndefined();
}

describe('a drain deadline moves live calls to another instance', () => {
  it('over a shared SQLite file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'voicebot-move-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    await moveOnce({ label: 'SQLite file', env: { DATA_DIR: dir } }, 'CA_MOVE_SQLITE_000000000000000000000');
  }, 60_000);

  it('falls back to the closing line for a call whose REST update fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'voicebot-move-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const fake = await RealtimeFakeServer.start({ script: BALANCE_CALL_SCRIPT });
    cleanup.push(() => fake.close());
    const failing: TwilioRestClient = {
      calls: Object.assign(
        () => ({
          update: async () => {
            throw Object.assign(new Error('Service unavailable'), { status: 503 });
          },
        }),
        { create: async () => ({ sid: 'CA_unused' }) },
      ),
    };
    const callSid = 'CA_MOVE_FAILS_0000000000000000000000';
    const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', DATA_DIR: dir, DRAIN_GRACE_S: '0', DRAIN_TIMEOUT_S: '1' });
    const a = await startInstance(config, failing);
    const stream = await startTwilioCall({ localUrl: a.localUrl, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid });
    cleanup.push(() => stream.hangUp());
    await fake.waitForServerEvent('response.done', 10_000);
    const drained = a.bot.drain();
    await until(() => stream.closedAt !== undefined);
    expect(await stream.fetchFallback()).toContain(SHUTDOWN_CLOSING_LINE.slice(0, 30));
    expect(await drained).toMatchObject({ callsMoved: 0, callsEnded: 1, fallbacksMissed: 0 });
    expect(a.ended).toMatchObject([{ callSid, reason: 'server_shutdown' }]);
  }, 30_000);

  it.runIf(TEST_DATABASE_URL)('over Postgres (TEST_DATABASE_URL)', async () => {
    const url = await freshSchemaUrl(TEST_DATABASE_URL as string, 'move_at_drain');
    await moveOnce({ label: 'Postgres', env: { DATABASE_URL: url } }, 'CA_MOVE_POSTGRES_0000000000000000000');
  }, 60_000);
});
