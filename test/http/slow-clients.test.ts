import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createTestApp, formBody, signForm, type TestApp } from './helpers.js';
import { systemClock } from '../../src/telephony/clock.js';

let t: TestApp | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.app.close();
  t = undefined;
});

async function listen(env: Record<string, string>): Promise<{ port: number }> {
  t = await createTestApp({ clock: systemClock, env });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (t.app.server.address() as net.AddressInfo).port };
}

/** Opens a raw TCP connection; resolves with it once connected, recording when it is closed by the server. */
async function open(port: number): Promise<net.Socket & { closedAt?: number }> {
  const socket = net.connect({ host: '127.0.0.1', port }) as net.Socket & { closedAt?: number };
  sockets.push(socket);
  socket.on('error', () => undefined);
  socket.resume(); // read what the server sends (a 408), or its graceful close would go unseen
  socket.on('close', () => {
    socket.closedAt = performance.now();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('slow and idle clients', () => {
  it('defaults close an idle or header-trickling connection within 30 s', () => {
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.com', TWILIO_AUTH_TOKEN: 'e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5', OPENAI_API_KEY: 'sk' });
    // Headers must be complete in 10 s (checked every second); a silent socket goes after 20 s.
    expect(config.http.headersTimeoutMs + 1_000).toBeLessThanOrEqual(30_000);
    expect(config.http.idleTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(config.http.requestTimeoutMs).toBeLessThanOrEqual(30_000);
  });

  it('closes a connection that sends nothing once the idle timeout passes', async () => {
    const { port } = await listen({ HTTP_IDLE_TIMEOUT_MS: '1500' });
    const started = performance.now();
    const socket = await open(port);
    await until(() => socket.closedAt !== undefined, 4_000);
    expect((socket.closedAt ?? Infinity) - started).toBeGreaterThanOrEqual(1_400);
    expect((socket.closedAt ?? Infinity) - started).toBeLessThan(3_000);
  });

  it('closes a connection that sends nothing at the headers timeout, counted from the connection', async () => {
    const { port } = await listen({ HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '20000' });
    const started = performance.now();
    const socket = await open(port);
    await until(() => socket.closedAt !== undefined, 4_000);
    expect((socket.closedAt ?? Infinity) - started).toBeLessThan(3_000);
  });

  it('closes a slowloris connection that trickles its headers one byte at a time', async () => {
    const { port } = await listen({ HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '5000' });
    const socket = await open(port);
    const started = performance.now();
    socket.write('POST /twilio/voice HTTP/1.1\r\nHost: bot.example.com\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X'), 100);
    try {
      await until(() => socket.closedAt !== undefined, 4_000);
    } finally {
      clearInterval(trickle);
    }
    // Headers due in 1 s, checked every second: closed within 2 s (plus scheduling).
    expect((socket.closedAt ?? Infinity) - started).toBeLessThan(3_000);
  });

  it('closes the oldest unauthenticated connection beyond the cap, and a real webhook still gets through', async () => {
    const { port } = await listen({ MAX_UNAUTHENTICATED_SOCKETS: '5' });
    const idle: Array<net.Socket & { closedAt?: number }> = [];
    for (let i = 0; i < 8; i++) idle.push(await open(port));
    await until(() => idle.filter((s) => s.closedAt !== undefined).length === 3, 2_000);
    // The three oldest went; the five youngest are still open.
    expect(idle.map((s) => s.closedAt !== undefined)).toEqual([true, true, true, false, false, false, false, false]);
    const params = { CallSid: 'CA55555555555555555555555555555555', AccountSid: 'AC0', From: '+1555', To: '+1666', Direction: 'inbound' };
    const res = await fetch(`http://127.0.0.1:${port}/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/voice', params) },
      body: formBody(params),
    });
    expect(res.status).toBe(200);
    expect(t?.lines.some((l) => l.msg === 'unauthenticated connection closed to make room')).toBe(true);
  });
});
