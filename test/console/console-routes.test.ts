import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { registerConsoleRoutes } from '../../src/console/console-routes.js';
import { LiveCallBoard } from '../../src/console/live-board.js';
import type { CallHandler } from '../../src/telephony/call-handler.js';

const KEY = 'routes-test-admin-key-0123456789';
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function app(adminApiKey: string | undefined, softphone = true): Promise<{ app: FastifyInstance; answered: string[] }> {
  const config = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.test', TWILIO_AUTH_TOKEN: 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0', OPENAI_REALTIME_URL: 'ws://127.0.0.1:1/v1/realtime' });
  const answered: string[] = [];
  const callHandler: CallHandler = { onCallAnswered: (call) => answered.push(call.callSid), onStreamStarted: () => undefined };
  const records = await createMemoryCallRecordStore();
  const board = new LiveCallBoard({ phoneNumbers: 'masked' });
  const built = await buildApp({
    config,
    logger: createLogger('silent'),
    callHandler,
    routes: [(a, context) => registerConsoleRoutes(a, context, { adminApiKey, board, records, softphone, distDir: '/nonexistent' })],
  });
  apps.push(built);
  return { app: built, answered };
}

async function login(instance: FastifyInstance): Promise<string> {
  // A public host gets a Secure cookie (a loopback one cannot: browsers refuse Secure cookies over plain http).
  const response = await instance.inject({ method: 'POST', url: '/console/api/login', payload: { key: KEY }, headers: { host: 'bot.example.test' } });
  expect(response.statusCode).toBe(204);
  const cookie = String(response.headers['set-cookie']);
  expect(cookie).toMatch(/^voicebot_console=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  return cookie.split(';')[0] as string;
}

describe('console routes', () => {
  it('do not exist without ADMIN_API_KEY', async () => {
    const { app: instance } = await app(undefined);
    expect((await instance.inject({ method: 'GET', url: '/console/' })).statusCode).toBe(404);
    expect((await instance.inject({ method: 'POST', url: '/console/api/login', payload: { key: KEY } })).statusCode).toBe(404);
  });

  it('trade the key for a session cookie; every API answers 401 without it; logout ends it', async () => {
    const { app: instance } = await app(KEY);
    expect((await instance.inject({ method: 'POST', url: '/console/api/login', payload: { key: 'wrong-key-wrong-key' } })).statusCode).toBe(401);
    expect((await instance.inject({ method: 'GET', url: '/console/api/calls' })).statusCode).toBe(401);
    expect((await instance.inject({ method: 'POST', url: '/console/api/softphone' })).statusCode).toBe(401);
    const cookie = await login(instance);
    const list = await instance.inject({ method: 'GET', url: '/console/api/calls?agent=billing', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ calls: [] });
    expect((await instance.inject({ method: 'GET', url: '/console/api/calls?agent=DROP', headers: { cookie } })).statusCode).toBe(400);
    expect((await instance.inject({ method: 'GET', url: '/console/api/session', headers: { cookie } })).json()).toEqual({ loggedIn: true, softphone: true });
    expect((await instance.inject({ method: 'POST', url: '/console/api/logout', headers: { cookie } })).statusCode).toBe(204);
    expect((await instance.inject({ method: 'GET', url: '/console/api/calls', headers: { cookie } })).statusCode).toBe(401);
  });

  it('answers 503 with the build command when the front end is not built', async () => {
    const { app: instance } = await app(KEY);
    const page = await instance.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
  });

  it('issue a softphone CallSid and stream token to a session, and announce the call; off with the switch', async () => {
    const { app: instance, answered } = await app(KEY);
    const cookie = await login(instance);
    const issued = await instance.inject({ method: 'POST', url: '/console/api/softphone', headers: { cookie } });
    expect(issued.statusCode).toBe(200);
    const body = issued.json<{ callSid: string; token: string; mediaPath: string }>();
    expect(body.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(body.token).toMatch(/^[\w-]{43}$/);
    expect(body.mediaPath).toBe('/console/media');
    expect(answered).toEqual([body.callSid]);
    const { app: off } = await app(KEY, false);
    const offCookie = await login(off);
    expect((await off.inject({ method: 'POST', url: '/console/api/softphone', headers: { cookie: offCookie } })).statusCode).toBe(404);
  });

  it('refuse a softphone media socket without a console session before any handler runs', async () => {
    const { app: instance } = await app(KEY);
    await expect(instance.injectWS('/console/media')).rejects.toThrow(/401/);
    await expect(instance.injectWS('/console/media', { headers: { cookie: 'voicebot_console=forged' } })).rejects.toThrow(/401/);
  });
});

describe('console event stream', () => {
  it('streams a snapshot over SSE to a session, and the app still closes promptly with a console open', async () => {
    const { app: instance } = await app(KEY);
    const cookie = await login(instance);
    await instance.listen({ host: '127.0.0.1', port: 0 });
    const { port } = instance.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/console/api/live`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('"type":"snapshot"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('data: {"type":"snapshot","calls":[]}');
    const started = Date.now();
    await instance.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await reader.cancel().catch(() => undefined);
  });
});
