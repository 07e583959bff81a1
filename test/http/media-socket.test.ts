import { DEFAULT_REALTIME_AUDIO_FORMAT, serviceSamplesPerMs } from '../../src/audio/audio-format.js';
import { FRAME_MS } from '../../src/audio/constants.js';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { muLawEncode } from '../../src/audio/mulaw.js';
import { twilioSignature, wire } from '../telephony/fakes.js';
import { createTestApp, signUpgrade, waitFor, type TestApp } from './helpers.js';

/** The service's PCM rate in the default wire format (testConfig sets none), per ms and per 20 ms frame. */
const SAMPLES_PER_MS = serviceSamplesPerMs(DEFAULT_REALTIME_AUDIO_FORMAT);
const FRAME_SAMPLES = FRAME_MS * SAMPLES_PER_MS;

let t: TestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

interface Client {
  readonly ws: WebSocket;
  readonly received: Array<Record<string, unknown>>;
  readonly closed: { code: number | undefined };
}

/** Opens the media socket in memory (`injectWS`); `null` sends no signature header at all. */
async function connect(app: TestApp, signature: string | null = signUpgrade()): Promise<Client> {
  const headers = signature === null ? {} : { 'x-twilio-signature': signature };
  return observe(await app.app.injectWS('/twilio/media', { headers }));
}

/** Opens the media socket over a real loopback connection, for behaviour that needs a real TCP close. */
async function connectOverLoopback(app: TestApp): Promise<Client> {
  const address = await app.app.listen({ host: '127.0.0.1', port: 0 });
  const ws = new WebSocket(`${address.replace('http:', 'ws:')}/twilio/media`, { headers: { 'x-twilio-signature': signUpgrade() } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return observe(ws);
}

function observe(ws: WebSocket): Client {
  const received: Array<Record<string, unknown>> = [];
  const closed: { code: number | undefined } = { code: undefined };
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
  ws.on('close', (code) => {
    closed.code = code;
  });
  return { ws, received, closed };
}

function send(client: Client, message: object): void {
  client.ws.send(JSON.stringify(message));
}

function frame(i: number): Uint8Array {
  const pcm = new Int16Array(160);
  for (let k = 0; k < 160; k++) pcm[k] = Math.round(5000 * Math.sin((2 * Math.PI * 300 * (i * 160 + k)) / 8000));
  return muLawEncode(pcm);
}

function startStream(client: Client, o: { streamSid: string; callSid: string; token: string | undefined }): void {
  send(client, wire.connected());
  send(client, wire.start({ streamSid: o.streamSid, callSid: o.callSid, customParameters: o.token === undefined ? {} : { token: o.token, callSid: o.callSid } }));
}

describe('GET /twilio/media', () => {
  it('runs a realistic stream end to end: handshake, token, frames, mark echo, dtmf, stop, close', async () => {
    t = await createTestApp();
    const app = t;
    const token = app.tokens.issue('CA1');
    const client = await connectOverLoopback(app);
    startStream(client, { streamSid: 'MZ1', callSid: 'CA1', token });
    await waitFor(() => app.handler.streams.length === 1, 'stream start');
    const stream = app.handler.streams[0];
    if (!stream) throw new Error('no stream');
    expect(stream.start.callSid).toBe('CA1');
    expect(stream.transport.streamSid).toBe('MZ1');

    stream.transport.sendAudio('item_a', new Int16Array(80 * SAMPLES_PER_MS).fill(1000));
    await waitFor(() => client.received.length === 2, 'outbound media and mark');
    expect(client.received.map((m) => m.event)).toEqual(['media', 'mark']);
    expect(client.received[1]).toEqual({ event: 'mark', streamSid: 'MZ1', mark: { name: 'g0:item_a:80' } });

    let seq = 3;
    for (let i = 0; i < 10; i++) {
      send(client, wire.media({ streamSid: 'MZ1', sequenceNumber: seq++, chunk: i + 1, timestampMs: 52 + 20 * i, bytes: frame(i) }));
      if (i === 4) send(client, wire.mark({ streamSid: 'MZ1', sequenceNumber: seq++, name: 'g0:item_a:80' }));
    }
    send(client, wire.dtmf({ streamSid: 'MZ1', sequenceNumber: seq++, digit: '4' }));
    send(client, wire.stop({ streamSid: 'MZ1', callSid: 'CA1', sequenceNumber: seq++ }));
    await waitFor(() => stream.events.includes('inbound-ended'), 'inbound end');
    expect(stream.samples).toBe(10 * FRAME_SAMPLES);
    expect(stream.events).toEqual(['mark:g0:item_a:80', 'dtmf:4', 'stop', 'inbound-ended']);
    expect(stream.transport.isAudible()).toBe(false);
    client.ws.close();
    await waitFor(() => stream.events.includes('closed:remote'), 'close event');
  });

  it.each([
    ['missing', null],
    ['forged', twilioSignature('wrong-token', 'wss://bot.example.com/twilio/media', {})],
    ['signed for another host', twilioSignature('test-auth-token-0123456789', 'wss://evil.example.com/twilio/media', {})],
    ['signed as an https webhook', twilioSignature('test-auth-token-0123456789', 'https://bot.example.com/twilio/media', {})],
  ])('refuses an upgrade with a %s signature before any handler runs', async (_label, signature) => {
    t = await createTestApp();
    const app = t;
    await expect(connect(app, signature)).rejects.toThrow(/403/);
    expect(app.handler.streams).toEqual([]);
    expect(app.lines.some((l) => l.msg === 'twilio signature refused')).toBe(true);
  });

  it('closes a stream whose start carries no token, and never hands it to the handler', async () => {
    t = await createTestApp();
    const app = t;
    app.tokens.issue('CA1');
    const client = await connect(app);
    startStream(client, { streamSid: 'MZ1', callSid: 'CA1', token: undefined });
    await waitFor(() => client.closed.code !== undefined, 'server close');
    expect(client.closed.code).toBe(1008);
    expect(app.handler.streams).toEqual([]);
  });

  it('refuses a replayed token on a second socket', async () => {
    t = await createTestApp();
    const app = t;
    const token = app.tokens.issue('CA1');
    const first = await connect(app);
    startStream(first, { streamSid: 'MZ1', callSid: 'CA1', token });
    await waitFor(() => app.handler.streams.length === 1, 'first stream');
    const replay = await connect(app);
    startStream(replay, { streamSid: 'MZ2', callSid: 'CA1', token });
    await waitFor(() => replay.closed.code !== undefined, 'replay closed');
    expect(replay.closed.code).toBe(1008);
    expect(app.handler.streams).toHaveLength(1);
    expect(first.closed.code).toBeUndefined();
  });

  it('refuses an expired token', async () => {
    t = await createTestApp();
    const app = t;
    const token = app.tokens.issue('CA1');
    app.clock.advance(30_000);
    const client = await connect(app);
    startStream(client, { streamSid: 'MZ1', callSid: 'CA1', token });
    await waitFor(() => client.closed.code !== undefined, 'server close');
    expect(app.handler.streams).toEqual([]);
  });

  it('closes a socket that never sends start when the handshake times out', async () => {
    t = await createTestApp();
    const app = t;
    const client = await connect(app);
    send(client, wire.connected());
    await waitFor(() => app.clock.pendingTimers === 1, 'handshake timer');
    app.clock.advance(5_000);
    await waitFor(() => client.closed.code !== undefined, 'server close');
    expect(client.closed.code).toBe(1008);
    expect(app.handler.streams).toEqual([]);
  });

  it('cleans up a socket that closes before start', async () => {
    t = await createTestApp();
    const app = t;
    const client = await connectOverLoopback(app);
    send(client, wire.connected());
    await waitFor(() => app.clock.pendingTimers === 1, 'handshake timer');
    client.ws.close();
    await waitFor(() => app.clock.pendingTimers === 0, 'timer cleared');
    expect(app.lines.some((l) => l.msg === 'media socket closed before start')).toBe(true);
    expect(app.handler.streams).toEqual([]);
  });

  it('keeps the call alive through a flood of malformed frames', async () => {
    t = await createTestApp();
    const app = t;
    const token = app.tokens.issue('CA1');
    const client = await connect(app);
    startStream(client, { streamSid: 'MZ1', callSid: 'CA1', token });
    await waitFor(() => app.handler.streams.length === 1, 'stream start');
    for (let i = 0; i < 500; i++) client.ws.send(i % 2 === 0 ? '{"event":"media","streamSid":"MZ1"}' : 'garbage');
    send(client, wire.media({ streamSid: 'MZ1', sequenceNumber: 3, chunk: 1, timestampMs: 52, bytes: frame(0) }));
    const stream = app.handler.streams[0];
    if (!stream) throw new Error('no stream');
    await waitFor(() => stream.samples === FRAME_SAMPLES, 'frame after the flood');
    expect(stream.transport.stats().malformedMessages).toBe(500);
    expect(client.closed.code).toBeUndefined();
  });

  it('keeps two concurrent streams isolated', async () => {
    t = await createTestApp();
    const app = t;
    const tokenA = app.tokens.issue('CAa');
    const tokenB = app.tokens.issue('CAb');
    const a = await connect(app);
    const b = await connect(app);
    startStream(a, { streamSid: 'MZa', callSid: 'CAa', token: tokenA });
    startStream(b, { streamSid: 'MZb', callSid: 'CAb', token: tokenB });
    await waitFor(() => app.handler.streams.length === 2, 'both streams');
    const byCall = new Map(app.handler.streams.map((s) => [s.start.callSid, s]));
    byCall.get('CAa')?.transport.sendAudio('item_a', new Int16Array(80 * SAMPLES_PER_MS));
    send(b, wire.media({ streamSid: 'MZb', sequenceNumber: 3, chunk: 1, timestampMs: 52, bytes: frame(0) }));
    await waitFor(() => a.received.length === 2 && byCall.get('CAb')?.samples === FRAME_SAMPLES, 'traffic');
    expect(b.received).toEqual([]);
    expect(byCall.get('CAa')?.samples).toBe(0);
    byCall.get('CAb')?.transport.close('test');
    await waitFor(() => b.closed.code !== undefined, 'b closed');
    expect(a.closed.code).toBeUndefined();
  });

  it('lets a decorator see every frame of an authenticated socket, handshake included', async () => {
    const seen: string[] = [];
    t = await createTestApp({
      decorateMediaSocket: (socket) => {
        socket.on('message', (text) => seen.push((JSON.parse(text) as { event: string }).event));
        return socket;
      },
    });
    const app = t;
    const token = app.tokens.issue('CA1');
    const client = await connect(app);
    startStream(client, { streamSid: 'MZ1', callSid: 'CA1', token });
    await waitFor(() => app.handler.streams.length === 1, 'stream start');
    expect(seen).toEqual(['connected', 'start']);
  });
});
