import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeClient } from '../../src/infrastructure/openai-realtime/realtime-client.js';
import type { RealtimeClientEvent } from '../../src/infrastructure/realtime-client-events.js';
import { createLogger } from '../../src/logger.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function client(url: string, deadlines: { connectTimeoutMs?: number; pingIntervalMs?: number; pongTimeoutMs?: number }): RealtimeClient {
  const c = new RealtimeClient({ name: 'receptionist', instructions: 'Greet callers.', model: 'gpt-realtime', voice: 'marin', url, logger: createLogger('silent'), ...deadlines });
  cleanup.push(() => c.disconnect());
  return c;
}

/** A TCP server that accepts connections and never answers the WebSocket upgrade. */
async function blackHole(): Promise<{ url: string; accepted: () => number; closed: () => number }> {
  const sockets: net.Socket[] = [];
  let closed = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.resume(); // read (and drop) the upgrade request, so the client's close is seen
    socket.on('close', () => (closed += 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/realtime`,
    accepted: () => sockets.length,
    closed: () => closed,
  };
}

describe('Realtime socket liveness', () => {
  it('fails connect() at its deadline when the upgrade is never answered, and leaves no socket behind', async () => {
    const hole = await blackHole();
    const c = client(hole.url, { connectTimeoutMs: 1_000 });
    const started = performance.now();
    await expect(c.connect()).rejects.toThrow(/no open Realtime socket after 1000 ms/);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(1_500);
    expect(hole.accepted()).toBe(1);
    for (let i = 0; i < 100 && hole.closed() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(hole.closed()).toBe(1);
  });

  it('ends a session whose server stalls (socket open, nothing sent, pings unanswered) at the pong deadline', async () => {
    const fake = await RealtimeFakeServer.start({ stallOnAccept: true });
    cleanup.push(() => fake.close());
    const c = client(fake.url, { pingIntervalMs: 500, pongTimeoutMs: 500 });
    const events: RealtimeClientEvent[] = [];
    c.on((e) => events.push(e));
    await c.connect();
    const connectedAt = performance.now();
    await new Promise<void>((resolve) => c.on((e) => e.type === 'closed' && resolve()));
    const elapsed = performance.now() - connectedAt;
    expect(events.at(-1)).toMatchObject({ type: 'closed', reason: 'error' });
    // First ping at 500 ms, its pong overdue at 1,000 ms.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1_600);
  });

  it('keeps a healthy session open across many pings', async () => {
    const fake = await RealtimeFakeServer.start();
    cleanup.push(() => fake.close());
    const c = client(fake.url, { pingIntervalMs: 100, pongTimeoutMs: 300 });
    const events: RealtimeClientEvent[] = [];
    c.on((e) => events.push(e));
    await c.connect();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(events.filter((e) => e.type === 'closed')).toEqual([]);
    // Then the server hangs: the next pong deadline ends the session.
    fake.stall();
    await new Promise<void>((resolve) => c.on((e) => e.type === 'closed' && resolve()));
    expect(events.at(-1)).toMatchObject({ type: 'closed', reason: 'error' });
  });
});
