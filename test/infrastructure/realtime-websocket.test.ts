import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { RealtimeWebSocket, decodePcm16, peekEventType, type RoutedServerEvent } from '../../src/infrastructure/openai-realtime/realtime-websocket.js';

/** A loopback server that records what the client sends and lets the test push raw frames to it. */
async function startServer(): Promise<{ url: string; peer: Promise<ServerSocket>; received: string[]; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const received: string[] = [];
  const peer = new Promise<ServerSocket>((resolve) =>
    server.once('connection', (socket) => {
      socket.on('message', (data) => received.push(String(data)));
      resolve(socket);
    }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    peer,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function pcmBase64(samples: number[]): string {
  return Buffer.from(Int16Array.from(samples).buffer).toString('base64');
}

describe('RealtimeWebSocket', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function connect(): Promise<{ client: RealtimeWebSocket; peer: ServerSocket; received: string[] }> {
    const server = await startServer();
    cleanups.push(server.close);
    const client = new RealtimeWebSocket(server.url, { Authorization: 'Bearer test' }, 'pcm16');
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    return { client, peer: await server.peer, received: server.received };
  }

  it('hands a delta to the handler and hides it from message listeners; everything else reaches them', async () => {
    const { client, peer } = await connect();
    const deltas: Array<{ itemId: string; responseId: string; pcm: number[] }> = [];
    const seen: string[] = [];
    client.setOutputAudioHandler((itemId, responseId, pcm) => deltas.push({ itemId, responseId, pcm: Array.from(pcm) }));
    client.addEventListener('message', (event) => seen.push(String(event.data)));

    const delta = { type: 'response.output_audio.delta', event_id: 'e1', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, delta: pcmBase64([1, -2, 32767, -32768]) };
    const transcript = { type: 'response.output_audio_transcript.delta', event_id: 'e2', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, delta: 'the "response.output_audio.delta" text' };
    const malformed = { type: 'response.output_audio.delta', event_id: 'e3', response_id: 'resp_1', item_id: 7, delta: 'AAAA' };
    for (const event of [delta, transcript, malformed]) peer.send(JSON.stringify(event));
    peer.send('{"type":"response.output_audio.delta",'); // not JSON at all
    peer.send(JSON.stringify({ type: 'response.done', event_id: 'e4', response: { id: 'resp_1' } }));
    await new Promise<void>((resolve) => {
      const check = (): void => (seen.length >= 4 ? resolve() : void setTimeout(check, 5));
      check();
    });

    expect(deltas).toEqual([{ itemId: 'item_1', responseId: 'resp_1', pcm: [1, -2, 32767, -32768] }]);
    expect(seen.map((text) => (text.startsWith('{"type":"response.output_audio.delta",') && !text.endsWith('}') ? 'broken' : JSON.parse(text).event_id))).toEqual(['e2', 'e3', 'broken', 'e4']);
  });

  it('without a handler, deltas reach the listeners as usual', async () => {
    const { client, peer } = await connect();
    const seen: string[] = [];
    client.on('message', (data) => seen.push(String(data)));
    peer.send(JSON.stringify({ type: 'response.output_audio.delta', response_id: 'r', item_id: 'i', delta: 'AAAA' }));
    await once(client, 'message');
    expect(seen).toHaveLength(1);
  });

  it('sends an append as exact JSON with the PCM16 as base64, and nothing for empty audio', async () => {
    const { client, received } = await connect();
    client.appendAudio(new Int16Array(0));
    client.appendAudio(Int16Array.from([0, 1, -1, 256]));
    const samples = new Int16Array([9, 8, 7, 6]);
    client.appendAudio(samples.subarray(1, 3)); // a view at an offset sends only its own samples
    await new Promise<void>((resolve) => {
      const check = (): void => (received.length >= 2 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(received).toEqual([
      JSON.stringify({ type: 'input_audio_buffer.append', audio: pcmBase64([0, 1, -1, 256]) }),
      JSON.stringify({ type: 'input_audio_buffer.append', audio: pcmBase64([8, 7]) }),
    ]);
  });

  it('does not offer permessage-deflate', async () => {
    const { client } = await connect();
    expect(client.extensions).toBe('');
  });

  it('drops a trailing odd byte when decoding PCM16', () => {
    const odd = Buffer.from([1, 0, 2, 0, 9]).toString('base64');
    expect(Array.from(decodePcm16(odd))).toEqual([1, 2]);
  });

  it('routes events of the chosen types to their handler, parsed once, and leaves the rest (malformed ones included) to the listeners', async () => {
    const { client, peer } = await connect();
    const routed: RoutedServerEvent[] = [];
    const deltas: string[] = [];
    const seen: string[] = [];
    client.setOutputAudioHandler((itemId) => deltas.push(itemId));
    client.setRoutedEvents(new Set(['input_audio_buffer.speech_stopped', 'response.output_audio_transcript.delta']), (event) => routed.push(event));
    client.on('message', (data) => seen.push(String(data)));
    const frames = [
      JSON.stringify({ type: 'input_audio_buffer.speech_stopped', event_id: 'e1', item_id: 'u1', audio_end_ms: 10 }),
      JSON.stringify({ event_id: 'e2', type: 'response.output_audio_transcript.delta', item_id: 'i1', delta: 'says "response.output_audio.delta"' }),
      JSON.stringify({ type: 'response.output_audio.delta', event_id: 'e3', response_id: 'r1', item_id: 'i1', delta: pcmBase64([1]) }),
      JSON.stringify({ type: 'input_audio_buffer.speech_started', event_id: 'e4', item_id: 'u2', audio_start_ms: 20 }),
      '{"type":"input_audio_buffer.speech_stopped",',
      JSON.stringify({ detail: { type: 'input_audio_buffer.speech_stopped' }, type: 'error', event_id: 'e6' }),
      JSON.stringify(['input_audio_buffer.speech_stopped']),
    ];
    for (const frame of frames) peer.send(frame);
    peer.send(frames[0] as string, { binary: true });
    await new Promise<void>((resolve) => {
      const check = (): void => (seen.length >= 4 && routed.length >= 3 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(routed.map((event) => event.event_id)).toEqual(['e1', 'e2', 'e1']);
    expect(routed[0]).toEqual({ type: 'input_audio_buffer.speech_stopped', event_id: 'e1', item_id: 'u1', audio_end_ms: 10 });
    expect(deltas).toEqual(['i1']);
    expect(seen).toEqual([frames[3], frames[4], frames[5], frames[6]]);
  });

  it('routes an event of a chosen type only when the filter accepts the parsed event; a refused one reaches the listeners as it came', async () => {
    const { client, peer } = await connect();
    const routed: RoutedServerEvent[] = [];
    const seen: string[] = [];
    const isMessage = (event: RoutedServerEvent): boolean => (event.item as { type?: unknown } | undefined)?.type === 'message';
    client.setOutputAudioHandler(() => undefined);
    client.setRoutedEvents(new Set(['conversation.item.added', 'response.output_item.done']), (event) => routed.push(event), isMessage);
    client.on('message', (data) => seen.push(String(data)));
    const frames = [
      JSON.stringify({ type: 'conversation.item.added', event_id: 'e1', item: { id: 'u1', type: 'message' } }),
      JSON.stringify({ type: 'response.output_item.done', event_id: 'e2', item: { id: 'f1', type: 'function_call' } }),
      // Quotes the delta's type, so it is parsed on the delta path first: the filter still decides.
      JSON.stringify({ type: 'conversation.item.added', event_id: 'e3', item: { id: 'f2', type: 'function_call', name: '"response.output_audio.delta"' } }),
      JSON.stringify({ type: 'response.output_item.done', event_id: 'e4', item: { id: 'a1', type: 'message', content: [{ transcript: '"response.output_audio.delta"' }] } }),
    ];
    for (const frame of frames) peer.send(frame);
    await new Promise<void>((resolve) => {
      const check = (): void => (seen.length >= 2 && routed.length >= 2 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(routed.map((event) => event.event_id)).toEqual(['e1', 'e4']);
    expect(seen).toEqual([frames[1], frames[2]]);
  });

  it('reads the first "type" value without parsing, for texts of any shape', () => {
    expect(peekEventType(Buffer.from('{"event_id":"e","type":"session.updated","session":{"type":"realtime"}}'))).toBe('session.updated');
    expect(peekEventType(Buffer.from('{"type": "spaced"}'))).toBeUndefined();
    expect(peekEventType(Buffer.from('{"type":"unterminated'))).toBeUndefined();
    expect(peekEventType(Buffer.from(`{"type":"${'x'.repeat(65)}"}`))).toBeUndefined();
  });
});
