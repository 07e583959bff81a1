/**
 * A call whose webhook one instance answered (and pre-warmed) and whose stream another admitted: the first closes
 * its unused Realtime session when the announcement arrives, not at the pre-warm TTL. Two real voice bots share one
 * store; the bus is the in-memory hub, and Postgres `LISTEN/NOTIFY` when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { migrateRecordStore } from '../../src/records/record-migrations.js';
import { openPostgresDb, openSqliteDb, type SqlDb } from '../../src/records/sql-db.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { openPostgresStreamStartedBus } from '../../src/store/postgres-stream-started-bus.js';
import { SharedCallState } from '../../src/store/shared-call-state.js';
import { MemoryStreamStartedHub, type StreamStartedBus } from '../../src/store/stream-started-bus.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { captureLogger, wire } from '../telephony/fakes.js';
import { AUTH_TOKEN, PUBLIC, formBody, signForm, signUpgrade } from '../http/helpers.js';
import { freshSchemaUrl } from '../records/pg-schema.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Instance {
  readonly bot: VoiceBot;
  readonly lines: () => Array<Record<string, unknown>>;
}

/** Two voice bots sharing `db` (as N processes share the database) with one bus view each. */
async function twoInstances(db: SqlDb, buses: readonly [StreamStartedBus, StreamStartedBus]): Promise<{ a: Instance; b: Instance; fake: RealtimeFakeServer }> {
  await migrateRecordStore(db);
  const fake = await RealtimeFakeServer.start();
  cleanups.push(() => fake.close());
  const config = loadConfig({ PUBLIC_BASE_URL: PUBLIC, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', LOG_LEVEL: 'debug' });
  cleanups.push(() => db.close());
  // One database, one state object per instance (as N processes have); the test closes the database itself.
  const unclosable: SqlDb = { ...db, close: async () => undefined };
  const instances: Instance[] = [];
  for (const bus of buses) {
    const capture = captureLogger('info');
    const bot = await createVoiceBot(config, {
      logger: capture.logger,
      store: createMemoryCheckpointer(),
      recordStore: await createMemoryCallRecordStore(),
      sharedState: new SharedCallState(unclosable, { answerWindowMs: config.streamTokenTtlMs }),
      streamStartedBus: bus,
    });
    cleanups.push(() => bot.close());
    instances.push({ bot, lines: () => capture.lines });
  }
  const [a, b] = instances;
  if (!a || !b) throw new Error('two instances expected');
  return { a, b, fake };
}

async function answer(bot: VoiceBot, callSid: string): Promise<string> {
  const params = { CallSid: callSid, AccountSid: 'AC1', From: '+15550000001', To: '+15550000002' };
  const response = await bot.app.inject({
    method: 'POST',
    url: '/twilio/voice',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/voice', params) },
    payload: formBody(params),
  });
  expect(response.statusCode).toBe(200);
  const token = /name="token" value="([^"]+)"/.exec(response.body)?.[1];
  if (!token) throw new Error(`no token in ${response.body}`);
  return token;
}

async function stream(bot: VoiceBot, callSid: string, token: string): Promise<WebSocket> {
  const ws = await bot.app.injectWS('/twilio/media', { headers: { 'x-twilio-signature': signUpgrade() } });
  ws.send(JSON.stringify(wire.connected()));
  ws.send(JSON.stringify(wire.start({ streamSid: `MZ${callSid}`, callSid, customParameters: { token, callSid } })));
  return ws;
}

/** Resolves when `condition` holds (checked on every turn of the event loop); rejects after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function releasedCount(bot: VoiceBot, cause: string): Promise<number> {
  const metric = await bot.telemetry.metrics.prewarmsReleased.get();
  return metric.values.find((value) => value.labels.cause === cause)?.value ?? 0;
}

async function webhookOnAStreamOnB(db: SqlDb, buses: readonly [StreamStartedBus, StreamStartedBus], label: string): Promise<void> {
  const { a, b, fake } = await twoInstances(db, buses);
  const token = await answer(a.bot, 'CAcrossed1');
  await until(() => a.bot.calls.prewarmedSessions === 1 && fake.openConnections === 1, 'A pre-warmed');

  const ws = await stream(b.bot, 'CAcrossed1', token);
  const streamAt = performance.now();
  await until(() => b.bot.calls.activeCalls === 1, 'the call live on B');
  // The event itself: A's table empties, its session to the Realtime server closes, and it is counted and logged.
  await until(() => a.bot.calls.prewarmedSessions === 0, "A's pre-warm released");
  const releasedAfterMs = performance.now() - streamAt;
  await until(() => fake.totalConnections === 2 && fake.openConnections === 1, "A's Realtime socket closed, B's own (cold) open");
  expect(await releasedCount(a.bot, 'stream_elsewhere')).toBe(1);
  expect(await releasedCount(b.bot, 'stream_elsewhere')).toBe(0);
  expect(a.lines().filter((line) => line.msg === 'pre-warmed session released: the stream started on another instance')).toEqual([
    expect.objectContaining({ callSid: 'CAcrossed1' }),
  ]);
  // B connected cold (no pre-warm there) and the call runs on it; A's drain would not wait for this stream.
  expect(b.bot.calls.call('CAcrossed1')).toBeDefined();
  expect(a.bot.calls.awaitingStreams).toBe(0);
  console.log(`[measure] pre-warm release across instances (${label}): released ${releasedAfterMs.toFixed(1)} ms after the stream's start was sent to the other instance`);

  // A call answered and streamed on the same instance adopts its pre-warm and announces nothing that closes it.
  const own = await answer(b.bot, 'CAsame1');
  await until(() => b.bot.calls.prewarmedSessions === 1, 'B pre-warmed');
  const ownWs = await stream(b.bot, 'CAsame1', own);
  await until(() => b.bot.calls.activeCalls === 2, 'the second call live on B');
  expect(b.bot.calls.prewarmedSessions).toBe(0);
  expect(await releasedCount(a.bot, 'stream_elsewhere')).toBe(1);
  expect(await releasedCount(b.bot, 'stream_elsewhere')).toBe(0);
  ws.close();
  ownWs.close();
}

describe('pre-warm release across instances', () => {
  it('in one process (memory hub): webhook on A, stream on B: A closes its pre-warm at the announcement', async () => {
    const hub = new MemoryStreamStartedHub();
    const db = openSqliteDb(':memory:');
    await webhookOnAStreamOnB(db, [hub.bus(), hub.bus()], 'memory hub');
  });

  it.runIf(TEST_DATABASE_URL)('over Postgres LISTEN/NOTIFY (TEST_DATABASE_URL): webhook on A, stream on B: A closes its pre-warm at the notification', async () => {
    const url = await freshSchemaUrl(TEST_DATABASE_URL as string, 'prewarm_release');
    const db = openPostgresDb(url);
    const logger = captureLogger('info').logger;
    const busA = await openPostgresStreamStartedBus({ connectionString: url, logger });
    const busB = await openPostgresStreamStartedBus({ connectionString: url, logger });
    await webhookOnAStreamOnB(db, [busA, busB], 'Postgres LISTEN/NOTIFY');
  });
});
