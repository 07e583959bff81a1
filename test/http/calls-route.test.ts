import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboundCallRegistry } from '../../src/actions/outbound-call-registry.js';
import { createTwilioCallControl } from '../../src/actions/twilio-call-control.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { StreamTokenStore } from '../../src/telephony/stream-token-store.js';
import { FakeTwilioRest, restError } from '../actions/fakes.js';
import { captureLogger, FakeClock } from '../telephony/fakes.js';
import { AUTH_TOKEN, formBody, PUBLIC, RecordingCallHandler, signForm } from './helpers.js';

const API_KEY = 'calls-api-key-0123456789abcdef';
/** The golden file's token, so the rendered TwiML is byte-for-byte comparable. */
const GOLDEN_TOKEN = 'T0kenFixedForTheGoldenFile_abcdefghijklmnopq';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup(env: Record<string, string> = {}) {
  const config = loadConfig({
    PUBLIC_BASE_URL: PUBLIC,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_API_KEY: 'sk-test',
    TWILIO_PHONE_NUMBER: '+15550109999',
    CALLS_API_KEY: API_KEY,
    ...env,
  });
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const rest = new FakeTwilioRest();
  const tokens = new StreamTokenStore({ ttlMs: config.streamTokenTtlMs, clock, randomBytes: () => Buffer.from(GOLDEN_TOKEN, 'base64url') });
  const registry = new OutboundCallRegistry(clock);
  const handler = new RecordingCallHandler();
  app = await buildApp({
    config,
    logger,
    callHandler: handler,
    clock,
    tokenStore: tokens,
    outbound: { control: createTwilioCallControl({ client: rest, logger, clock }), registry, agents: ['front_desk', 'billing'] },
  });
  return { app, rest, tokens, registry, handler, clock, lines };
}

function postCall(target: FastifyInstance, body: unknown, key: string | null = API_KEY) {
  return target.inject({
    method: 'POST',
    url: '/calls',
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    payload: body as Record<string, unknown>,
  });
}

const BODY = { to: '+15550123456', agent: 'billing', context: { orderId: 'A-1042', reason: 'payment reminder' }, machineDetection: 'Enable' };

describe('POST /calls', () => {
  it('is absent (404) when CALLS_API_KEY is unset', async () => {
    const t = await setup({ CALLS_API_KEY: '' });
    const res = await postCall(t.app, BODY);
    expect(res.statusCode).toBe(404);
    expect(t.rest.requests).toEqual([]);
  });

  it('refuses a missing or wrong key with 401', async () => {
    const t = await setup();
    expect((await postCall(t.app, BODY, null)).statusCode).toBe(401);
    const wrong = await postCall(t.app, BODY, 'calls-api-key-0123456789abcdeX');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer');
    expect((await postCall(t.app, BODY, 'short')).statusCode).toBe(401);
    expect(t.rest.requests).toEqual([]);
    expect(JSON.stringify(t.lines)).not.toContain('0123456789abcdeX');
  });

  it('rejects a bad body with 400 naming the field', async () => {
    const t = await setup();
    const res = await postCall(t.app, { ...BODY, to: '0123' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_body', issues: [{ field: 'to' }] });
    const amd = await postCall(t.app, { ...BODY, machineDetection: 'Sometimes' });
    expect(amd.json()).toMatchObject({ issues: [{ field: 'machineDetection' }] });
    const agent = await postCall(t.app, { ...BODY, agent: 'nobody' });
    expect(agent.json()).toMatchObject({ issues: [{ field: 'agent' }] });
    const extra = await postCall(t.app, { ...BODY, url: 'https://evil.example' });
    expect(extra.statusCode).toBe(400);
    expect(t.rest.requests).toEqual([]);
  });

  it('places the call with inline TwiML, a token bound to the new CallSid and status callbacks', async () => {
    const t = await setup();
    const res = await postCall(t.app, BODY);
    expect(res.statusCode).toBe(201);
    const { callSid } = res.json() as { callSid: string };
    expect(res.json()).toEqual({ callSid, status: 'queued' });
    expect(t.rest.requests).toEqual([
      {
        op: 'create',
        params: {
          to: '+15550123456',
          from: '+15550109999',
          twiml: readFileSync(new URL('../../twiml/outbound-connect-stream.xml', import.meta.url), 'utf8'),
          statusCallback: `${PUBLIC}/twilio/status`,
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
          statusCallbackMethod: 'POST',
          machineDetection: 'Enable',
        },
      },
    ]);
    // The stream's `start` will present the token under the real CallSid, once.
    expect(t.tokens.consume(callSid, GOLDEN_TOKEN)).toEqual({ ok: true });
  });

  it('updates the call state from signed status callbacks', async () => {
    const t = await setup();
    const { callSid } = (await postCall(t.app, BODY)).json() as { callSid: string };
    const params = { CallSid: callSid, CallStatus: 'in-progress', AnsweredBy: 'human' };
    const status = await t.app.inject({
      method: 'POST',
      url: '/twilio/status',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/status', params) },
      payload: formBody(params),
    });
    expect(status.statusCode).toBe(200);
    expect(t.handler.statuses).toHaveLength(1);
    const state = await t.app.inject({ method: 'GET', url: `/calls/${callSid}`, headers: { authorization: `Bearer ${API_KEY}` } });
    expect(state.json()).toMatchObject({ callSid, agent: 'billing', status: 'in-progress', answeredBy: 'human' });
    expect((await t.app.inject({ method: 'GET', url: `/calls/${callSid}` })).statusCode).toBe(401);
  });

  it('answers 502 with Twilio’s error when the REST call fails, and revokes the unused token', async () => {
    const t = await setup();
    t.rest.failNext(restError(400, 21211, "The 'To' number is not a valid phone number."));
    const res = await postCall(t.app, { to: '+15550123456' });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ error: 'twilio_failed', code: 21211 });
    expect(t.tokens.size).toBe(0);
  });
});
