/**
 * `POST /calls` on one instance, the call's status callbacks, state reads and media stream on another: two apps
 * sharing one store (as N processes share the database) and the auth token. The call's stream token is signed for
 * a provisional stream key, which the shared store binds to the CallSid once Twilio created the call.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createTwilioCallControl } from '../../src/actions/twilio-call-control.js';
import { buildApp } from '../../src/http/app.js';
import { STREAM_KEY_BINDING_WAIT_MS } from '../../src/http/media-route.js';
import { migrateRecordStore } from '../../src/records/record-migrations.js';
import { openPostgresDb, openSqliteDb, type SqlDb } from '../../src/records/sql-db.js';
import { SharedCallState } from '../../src/store/shared-call-state.js';
import { SignedStreamTokens } from '../../src/telephony/signed-stream-token.js';
import { FakeTwilioRest } from '../actions/fakes.js';
import { captureLogger, wire } from '../telephony/fakes.js';
import { AUTH_TOKEN, formBody, RecordingCallHandler, signForm, signUpgrade, testConfig } from '../http/helpers.js';
import { freshSchemaUrl } from '../records/pg-schema.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const API_KEY = 'calls-api-key-0123456789abcdef';

/** Polls until `condition` holds (it may read the store); fails after `timeoutMs`. */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Instance {
  readonly app: FastifyInstance;
  readonly handler: RecordingCallHandler;
  readonly rest: FakeTwilioRest;
}

async function twoInstances(db: SqlDb): Promise<[Instance, Instance]> {
  await migrateRecordStore(db);
  cleanups.push(() => db.close());
  const unclosable: SqlDb = { ...db, close: async () => undefined };
  const instances: Instance[] = [];
  for (let i = 0; i < 2; i += 1) {
    const config = testConfig({ CALLS_API_KEY: API_KEY, TWILIO_PHONE_NUMBER: '+15550109999' });
    const state = new SharedCallState(unclosable, { answerWindowMs: config.streamTokenTtlMs });
    const { logger } = captureLogger('info');
    const handler = new RecordingCallHandler();
    const rest = new FakeTwilioRest();
    const app = await buildApp({
      config,
      logger,
      callHandler: handler,
      admissions: state,
      signedTokens: {
        tokens: new SignedStreamTokens({ secret: AUTH_TOKEN, ttlMs: config.streamTokenTtlMs }),
        useStreamToken: (nonce, callSid, expiresAtMs) => state.useStreamToken(nonce, callSid, expiresAtMs),
      },
      outbound: { control: createTwilioCallControl({ client: rest, logger }), registry: state.outboundCalls, agents: ['front_desk', 'billing'] },
    });
    cleanups.push(async () => {
      await app.close();
      await state.close();
    });
    instances.push({ app, handler, rest });
  }
  return instances as [Instance, Instance];
}

/** Places a call on `instance`; the CallSid and the `<Parameter>`s of the TwiML Twilio was given. */
async function placeCall(instance: Instance): Promise<{ callSid: string; parameters: Record<string, string> }> {
  const res = await instance.app.inject({
    method: 'POST',
    url: '/calls',
    headers: { authorization: `Bearer ${API_KEY}` },
    payload: { to: '+15550123456', agent: 'billing', context: { orderId: 'A-1042' } },
  });
  expect(res.statusCode).toBe(201);
  const { callSid } = res.json() as { callSid: string };
  const request = instance.rest.requests.at(-1);
  const twiml = request?.op === 'create' ? String(request.params.twiml) : '';
  const parameters = Object.fromEntries([...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  return { callSid, parameters };
}

async function status(instance: Instance, params: Record<string, string>): Promise<number> {
  const res = await instance.app.inject({
    method: 'POST',
    url: '/twilio/status',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/status', params) },
    payload: formBody(params),
  });
  return res.statusCode;
}

async function callState(instance: Instance, callSid: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await instance.app.inject({ method: 'GET', url: `/calls/${callSid}`, headers: { authorization: `Bearer ${API_KEY}` } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function stream(instance: Instance, callSid: string, customParameters: Record<string, string>): Promise<{ ws: WebSocket; closed: { code?: number } }> {
  const ws = await instance.app.injectWS('/twilio/media', { headers: { 'x-twilio-signature': signUpgrade() } });
  const closed: { code?: number } = {};
  ws.on('close', (code) => (closed.code = code));
  ws.send(JSON.stringify(wire.connected()));
  ws.send(JSON.stringify(wire.start({ streamSid: `MZ${callSid.slice(2)}`, callSid, customParameters })));
  return { ws, closed };
}

async function outboundAcrossInstances(db: SqlDb): Promise<void> {
  const [a, b] = await twoInstances(db);
  const { callSid, parameters } = await placeCall(a);
  expect(parameters.token).toMatch(/^v1\./);
  expect(parameters.streamKey).toMatch(/^outbound-[0-9a-f-]{36}$/);
  expect(parameters).toMatchObject({ direction: 'outbound-api', agent: 'billing', 'ctx.orderId': 'A-1042' });

  // Status callbacks land on B; the state placed on A follows, and either instance reads it.
  expect(await status(b, { CallSid: callSid, CallStatus: 'ringing' })).toBe(200);
  await waitFor(async () => (await callState(a, callSid)).body.status === 'ringing', 'A reads the status B received');
  expect((await callState(b, callSid)).body).toMatchObject({ callSid, agent: 'billing', status: 'ringing' });
  expect(await status(a, { CallSid: callSid, CallStatus: 'in-progress', AnsweredBy: 'human' })).toBe(200);
  await waitFor(async () => (await callState(b, callSid)).body.answeredBy === 'human', 'B reads the answer A received');
  expect((await callState(b, callSid)).body).toMatchObject({ status: 'in-progress', answeredBy: 'human' });

  // The key and token presented with another CallSid are refused, and burn nothing.
  const stranger = await stream(b, 'CAstranger0000000000000000000000', parameters);
  await waitFor(() => stranger.closed.code !== undefined, 'stranger closed');
  expect(stranger.closed.code).toBe(1008);
  // The token with a stream key it was not signed for: refused.
  const forged = await stream(b, callSid, { ...parameters, streamKey: 'outbound-00000000-0000-0000-0000-000000000000' });
  await waitFor(() => forged.closed.code !== undefined, 'forged key closed');
  expect(forged.closed.code).toBe(1008);

  // The stream lands on B: accepted, with the agent and context the call was placed with.
  const live = await stream(b, callSid, parameters);
  await waitFor(() => b.handler.streams.length === 1, 'the outbound stream on B');
  expect(b.handler.streams[0]?.start.callSid).toBe(callSid);
  expect(b.handler.streams[0]?.start.customParameters).toMatchObject({ agent: 'billing', 'ctx.orderId': 'A-1042', direction: 'outbound-api' });
  expect(live.closed.code).toBeUndefined();
  // Once: the same parameters again, on either instance, are refused.
  for (const instance of [a, b]) {
    const replay = await stream(instance, callSid, parameters);
    await waitFor(() => replay.closed.code !== undefined, 'replay closed');
    expect(replay.closed.code).toBe(1008);
  }
  expect(a.handler.streams).toHaveLength(0);
  expect(b.handler.streams).toHaveLength(1);
  live.ws.close();
}

describe('outbound calls across instances (POST /calls on one, stream and callbacks on the other)', () => {
  it('on a shared SQLite store', async () => {
    await outboundAcrossInstances(openSqliteDb(':memory:'));
  });

  it.runIf(TEST_DATABASE_URL)('on a shared Postgres (TEST_DATABASE_URL)', async () => {
    await outboundAcrossInstances(openPostgresDb(await freshSchemaUrl(TEST_DATABASE_URL as string, 'outbound_across')));
  });

  it('a stream whose call Twilio never created (its key never bound) is refused after the binding wait', async () => {
    const [a, b] = await twoInstances(openSqliteDb(':memory:'));
    a.rest.failNext(Object.assign(new Error('Invalid To number'), { status: 400, code: 21211 }));
    const res = await a.app.inject({ method: 'POST', url: '/calls', headers: { authorization: `Bearer ${API_KEY}` }, payload: { to: '+15550123456' } });
    expect(res.statusCode).toBe(502);
    const request = a.rest.requests.at(-1);
    const twiml = request?.op === 'create' ? String(request.params.twiml) : '';
    const token = /name="token" value="([^"]+)"/.exec(twiml)?.[1] ?? '';
    const streamKey = /name="streamKey" value="([^"]+)"/.exec(twiml)?.[1] ?? '';
    const startedAt = Date.now();
    const orphan = await stream(b, 'CA00000000000000000000000000000099', { token, streamKey });
    await waitFor(() => orphan.closed.code !== undefined, 'orphan closed', STREAM_KEY_BINDING_WAIT_MS + 3_000);
    expect(orphan.closed.code).toBe(1008);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(STREAM_KEY_BINDING_WAIT_MS - 50);
    expect(b.handler.streams).toHaveLength(0);
  });
});
