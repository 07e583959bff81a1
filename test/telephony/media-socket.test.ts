import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { wrapWebSocket } from '../../src/telephony/media-socket.js';

describe('wrapWebSocket on a real ws socket', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function pair(): Promise<{ server: WebSocket; client: WebSocket }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const [server] = await accepted;
    await once(client, 'open');
    cleanups.push(() => {
      client.terminate();
      wss.close();
    });
    return { server, client };
  }

  it('sendAll writes the frames in order under one cork of the TCP socket', async () => {
    const { server, client } = await pair();
    const raw = (server as unknown as { _socket: Duplex })._socket;
    const corkedDuringSend: number[] = [];
    const send = server.send.bind(server);
    server.send = ((data: string) => {
      corkedDuringSend.push(raw.writableCorked);
      send(data);
    }) as typeof server.send;
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));

    wrapWebSocket(server).sendAll(['{"event":"media"}', '{"event":"mark"}']);
    expect(raw.writableCorked).toBe(0);
    while (received.length < 2) await once(client, 'message');

    expect(received).toEqual(['{"event":"media"}', '{"event":"mark"}']);
    expect(corkedDuringSend).toEqual([1, 1]);
  });

  it('sendAll sends nothing once the socket is closing', async () => {
    const { server } = await pair();
    const socket = wrapWebSocket(server);
    server.close();
    expect(() => socket.sendAll(['{"event":"media"}'])).not.toThrow();
    expect(socket.isOpen()).toBe(false);
  });
});
