import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCallsApiRoute } from '../../src/http/calls-api-route.js';
import { EMPTY_USAGE } from '../../src/infrastructure/openai-realtime/realtime-usage.js';
import { createMemoryCallRecordStore, type CallRecordStore } from '../../src/records/call-record-store.js';

const KEY = 'admin-key-0123456789';
const T0 = Date.UTC(2025, 4, 1, 9);

let store: CallRecordStore;
let app: FastifyInstance;

async function setup(adminApiKey: string | undefined) {
  store = await createMemoryCallRecordStore();
  for (const [i, agent] of ['billing', 'retention', 'billing'].entries()) {
    const callSid = `CA${i}`;
    await store.startCall({ callSid, streamSid: `MZ${i}`, direction: 'inbound', from: '+1******0001', to: null, startedAtMs: T0 + i * 60_000, answeredAtMs: T0 + i * 60_000 + 500, initialAgent: 'front_desk', transcriptsStored: true });
    const totals = { finalAgent: agent, agents: ['front_desk', agent], responses: 1, usage: EMPTY_USAGE, estimatedCostUsd: 0.01 };
    await store.finishCall(callSid, { endedAtMs: T0 + i * 60_000 + 30_000, endReason: i === 1 ? 'realtime_error' : 'twilio_stop', totals });
  }
  app = Fastify();
  registerCallsApiRoute(app, { store, adminApiKey });
  await app.ready();
}

const auth = { authorization: `Bearer ${KEY}` };

afterEach(async () => {
  await app.close();
  await store.close();
});

describe('GET /api/calls', () => {
  it('does not exist without ADMIN_API_KEY', async () => {
    await setup(undefined);
    expect((await app.inject({ url: '/api/calls', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/calls/CA0', headers: auth })).statusCode).toBe(404);
  });

  it('refuses a missing or wrong key with 401 and WWW-Authenticate', async () => {
    await setup(KEY);
    const none = await app.inject({ url: '/api/calls' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await app.inject({ url: '/api/calls', headers: { authorization: `Bearer ${KEY}x` } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/calls/CA0', headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);
  });

  it('lists newest first, pages with before, filters by agent and end reason', async () => {
    await setup(KEY);
    const all = (await app.inject({ url: '/api/calls', headers: auth })).json();
    expect(all.calls.map((c: { callSid: string }) => c.callSid)).toEqual(['CA2', 'CA1', 'CA0']);
    expect(all.next).toBeUndefined();
    const page = (await app.inject({ url: '/api/calls?limit=2', headers: auth })).json();
    expect(page.calls.map((c: { callSid: string }) => c.callSid)).toEqual(['CA2', 'CA1']);
    const rest = (await app.inject({ url: `/api/calls?limit=2&before=${encodeURIComponent(page.next.before)}`, headers: auth })).json();
    expect(rest.calls.map((c: { callSid: string }) => c.callSid)).toEqual(['CA0']);
    const billing = (await app.inject({ url: '/api/calls?agent=billing', headers: auth })).json();
    expect(billing.calls.map((c: { callSid: string }) => c.callSid)).toEqual(['CA2', 'CA0']);
    const errors = (await app.inject({ url: '/api/calls?endReason=realtime_error', headers: auth })).json();
    expect(errors.calls).toEqual([
      {
        callSid: 'CA1',
        direction: 'inbound',
        from: '+1******0001',
        to: null,
        startedAt: '2025-05-01T09:01:00.000Z',
        endedAt: '2025-05-01T09:01:30.000Z',
        durationMs: 29_500,
        endReason: 'realtime_error',
        agents: ['front_desk', 'retention'],
        finalAgent: 'retention',
        estimatedCostUsd: 0.01,
      },
    ]);
  });

  it('answers 400 naming the field for a bad query', async () => {
    await setup(KEY);
    const bad = await app.inject({ url: '/api/calls?limit=0&before=yesterday&agent=DROP%20TABLE', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.map((i: { field: string }) => i.field).sort()).toEqual(['agent', 'before', 'limit']);
    expect((await app.inject({ url: '/api/calls?sneaky=1', headers: auth })).statusCode).toBe(400);
  });

  it('returns one whole record, 404 for an unknown CallSid', async () => {
    await setup(KEY);
    const one = await app.inject({ url: '/api/calls/CA1', headers: auth });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ callSid: 'CA1', endReason: 'realtime_error', agents: { initial: 'front_desk', final: 'retention' } });
    expect((await app.inject({ url: '/api/calls/CAnope', headers: auth })).statusCode).toBe(404);
  });
});
