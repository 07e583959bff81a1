import type { RealtimeAudioFormatName } from '../../src/audio/audio-format.js';
import { muLawEncode } from '../../src/audio/mulaw.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RealtimeClient } from '../../src/infrastructure/openai-realtime/realtime-client.js';
import type { RealtimeClientEvent } from '../../src/infrastructure/realtime-client-events.js';
import { ConfigError, RealtimeConnectError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { base64ToPcm, chunkPcm, concatPcm, RealtimeFakeServer, silence, tone, type FakeScript, type WireEvent } from '../../fakes/realtime-server.js';

const PCM_24K = { type: 'audio/pcm', rate: 24000 };

function audioFormats(event: WireEvent): unknown {
  const audio = (event.session as { audio?: { input?: { format?: unknown }; output?: { format?: unknown } } }).audio;
  return { input: audio?.input?.format, output: audio?.output?.format };
}

describe('RealtimeClient against the fake Realtime server', () => {
  let server: RealtimeFakeServer | undefined;
  let client: RealtimeClient | undefined;

  /** The 24 kHz (`pcm16`) client unless a test asks for `pcmu` (its own tests below). */
  async function open(script: FakeScript = {}, realtimeFactor = 0, audioFormat: RealtimeAudioFormatName = 'pcm16'): Promise<{ events: RealtimeClientEvent[] }> {
    server = await RealtimeFakeServer.start({ script, realtimeFactor });
    client = new RealtimeClient({
      name: 'receptionist',
      instructions: 'Greet callers.',
      model: 'gpt-realtime',
      voice: 'marin',
      audioFormat,
      url: server.url,
      logger: createLogger('silent'),
    });
    const events: RealtimeClientEvent[] = [];
    client.on((e) => events.push(e));
    await client.connect();
    return { events };
  }

  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  it('sends audio/pcm 24 kHz both ways in every session.update: connect and every instruction change', async () => {
    await open();
    await client!.updateInstructions('You are billing.');
    await client!.updateInstructions('You are support.');
    await vi.waitFor(() => expect(server!.serverEvents('session.updated')).toHaveLength(3));
    const updates = server!.clientEvents('session.update');
    expect(updates).toHaveLength(3);
    for (const update of updates) expect(audioFormats(update)).toEqual({ input: PCM_24K, output: PCM_24K });
    const last = updates[2]!.session as { instructions: string; audio: { input: { turn_detection: unknown }; output: { voice: string } } };
    expect(last.instructions).toBe('You are support.');
    expect(last.audio.output.voice).toBe('marin');
    expect(last.audio.input.turn_detection).toMatchObject({ type: 'server_vad', interrupt_response: false, create_response: true });
    expect(server!.totalConnections).toBe(1);
  });

  it('pcmu: asks for audio/pcmu both ways in every session.update, appends μ-law of the 8 kHz PCM, decodes deltas to 8 kHz', async () => {
    const { events } = await open({ greeting: { transcript: 'Hello there', durationMs: 300 } }, 0, 'pcmu');
    await client!.updateInstructions('You are billing.');
    await vi.waitFor(() => expect(server!.serverEvents('session.updated')).toHaveLength(2));
    for (const update of server!.clientEvents('session.update')) {
      expect(audioFormats(update)).toEqual({ input: { type: 'audio/pcmu' }, output: { type: 'audio/pcmu' } });
    }
    // One second of caller audio at 8 kHz: 50 appends of 160 μ-law bytes, exactly the G.711 encoding of the input.
    const pcm8k = new Int16Array(8000);
    for (let i = 0; i < pcm8k.length; i++) pcm8k[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    for (let i = 0; i < pcm8k.length; i += 160) client!.sendRequest(pcm8k.subarray(i, i + 160));
    await vi.waitFor(() => expect(server!.clientEvents('input_audio_buffer.append')).toHaveLength(50));
    const wire = Buffer.concat(server!.clientEvents('input_audio_buffer.append').map((e) => Buffer.from(e.audio as string, 'base64')));
    expect(wire.length).toBe(8000);
    expect(Buffer.compare(wire, Buffer.from(muLawEncode(pcm8k)))).toBe(0);
    // 300 ms of reply audio arrives as 2,400 samples at 8 kHz, and the item's length is counted at 8 samples/ms.
    client!.createResponse();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'response_done')).toBe(true));
    const audio = events.filter((e) => e.type === 'audio');
    expect(audio.reduce((n, e) => n + e.pcm.length, 0)).toBe(300 * 8);
    expect(client!.receivedAudioMs(audio[0]!.itemId)).toBe(300);
    expect(client!.truncate(audio[0]!.itemId, 1_000)).toBe(300);
  });

  it('appends PCM with exactly the duration it was given', async () => {
    await open();
    const second = tone(1000);
    for (const chunk of chunkPcm(second, 20)) client!.sendRequest(chunk);
    await vi.waitFor(() => expect(server!.clientEvents('input_audio_buffer.append')).toHaveLength(50));
    const samples = server!
      .clientEvents('input_audio_buffer.append')
      .reduce((n, e) => n + base64ToPcm(e.audio as string).length, 0);
    expect(samples).toBe(24_000);
    expect(base64ToPcm(server!.clientEvents('input_audio_buffer.append')[0]!.audio as string)).toEqual(second.subarray(0, 480));
  });

  it('emits item-tagged PCM, transcripts and response lifecycle events', async () => {
    const { events } = await open({ greeting: { transcript: 'Hello there', durationMs: 300 } });
    client!.createResponse({ instructions: 'Say hello.' });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'response_done')).toBe(true));
    const audio = events.filter((e) => e.type === 'audio');
    const itemId = audio[0]!.itemId;
    expect(audio.reduce((n, e) => n + e.pcm.length, 0)).toBe(300 * 24);
    expect(client!.receivedAudioMs(itemId)).toBe(300);
    expect(events.find((e) => e.type === 'transcript' && e.final)).toEqual({
      type: 'transcript',
      role: 'assistant',
      itemId,
      text: 'Hello there',
      final: true,
    });
    expect(events.map((e) => e.type).filter((t) => t.startsWith('response'))).toEqual(['response_started', 'response_done']);
    expect((server!.clientEvents('response.create')[0]!.response as { instructions: string }).instructions).toBe('Say hello.');
  });

  it('does not interrupt on speech_started by itself (no SDK wall-clock truncate or cancel)', async () => {
    const { events } = await open({ greeting: { transcript: 'A long greeting', durationMs: 3000 }, turns: [{ userTranscript: 'Hi', reply: { durationMs: 200 } }] }, 1);
    client!.createResponse();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'audio')).toBe(true));
    for (const chunk of chunkPcm(concatPcm(tone(200), silence(600)), 20)) client!.sendRequest(chunk);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'speech_started')).toBe(true));
    await vi.waitFor(() => expect(events.some((e) => e.type === 'transcript' && e.role === 'user' && e.final)).toBe(true));
    expect(server!.clientEvents('conversation.item.truncate')).toEqual([]);
    expect(server!.clientEvents('response.cancel')).toEqual([]);
    expect(client!.isResponseInFlight()).toBe(true);
  });

  it('caps a truncate at the audio received for the item, so the server never rejects it', async () => {
    const { events } = await open({ greeting: { durationMs: 500 } });
    client!.createResponse();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'response_done')).toBe(true));
    const itemId = events.find((e) => e.type === 'audio')!.itemId;
    expect(client!.truncate(itemId, 10_000)).toBe(500);
    await server!.waitForServerEvent('conversation.item.truncated');
    expect(server!.clientEvents('conversation.item.truncate')).toEqual([
      { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 500 },
    ]);
    expect(server!.serverEvents('error')).toEqual([]);
  });

  it('cancels only while a response is in flight', async () => {
    const { events } = await open({ greeting: { durationMs: 5000 } }, 1);
    expect(client!.cancelResponse()).toBe(false);
    client!.createResponse();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'audio')).toBe(true));
    expect(client!.cancelResponse()).toBe(true);
    expect(client!.cancelResponse()).toBe(false);
    await vi.waitFor(() => expect(events.find((e) => e.type === 'response_done')).toMatchObject({ status: 'cancelled' }));
    expect(client!.cancelResponse()).toBe(false);
    expect(server!.clientEvents('response.cancel')).toHaveLength(1);
    expect(server!.serverEvents('error')).toEqual([]);
  });

  it('reports a remote close once, and disconnect leaves no socket open', async () => {
    const { events } = await open();
    server!.dropConnections();
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'closed')).toEqual([{ type: 'closed', reason: 'remote', code: 1011 }]));
    await client!.disconnect();
    expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
    expect(server!.openConnections).toBe(0);
  });

  it('disconnects cleanly and idempotently', async () => {
    const { events } = await open();
    await Promise.all([client!.disconnect(), client!.disconnect()]);
    await client!.disconnect();
    expect(events.filter((e) => e.type === 'closed')).toEqual([{ type: 'closed', reason: 'disconnect', code: 1005 }]);
    await vi.waitFor(() => expect(server!.openConnections).toBe(0));
  });

  it('reports server errors, except a cancel that crossed the end of its response', async () => {
    const { events } = await open();
    const error = (code: string): WireEvent => ({ type: 'error', event_id: `evt_${code}`, error: { type: 'invalid_request_error', code, message: `${code} happened`, param: null, event_id: null } });
    server!.inject(error('response_cancel_not_active'));
    server!.inject(error('invalid_value'));
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'error')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.filter((e) => e.type === 'error')).toEqual([{ type: 'error', error: new Error('invalid_value happened'), recoverable: true, code: 'invalid_value' }]);
  });

  it('queues a text message, a response request and an instruction change made before the session opened, and sends them in order when it opens', async () => {
    server = await RealtimeFakeServer.start({ script: { textReply: { transcript: 'Got your keys.', durationMs: 200 } } });
    client = new RealtimeClient({ name: 'r', instructions: 'Greet callers.', model: 'gpt-realtime', voice: 'marin', url: server.url, logger: createLogger('silent') });
    const connecting = client.connect();
    expect(client.sendRequest('The caller pressed 4 2 on the phone keypad.')).toBe('queued');
    const update = client.updateInstructions('You are billing.');
    expect(client.sendRequest(new Int16Array(480))).toBe('not_delivered');
    const opened = client.opened();
    await connecting;
    await update;
    expect(await opened).toBe(true);
    await vi.waitFor(() => expect(server!.serverEvents('response.done')).toHaveLength(1));
    // No `conversation.item.retrieve` either: the transport routes the item events past the SDK's history.
    const sent = server.clientEvents();
    expect(sent.map((e) => e.type)).toEqual(['session.update', 'conversation.item.create', 'response.create', 'session.update']);
    expect(sent[1]!.item).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'The caller pressed 4 2 on the phone keypad.' }] });
    expect((sent[3]!.session as { instructions: string }).instructions).toBe('You are billing.');
    expect(server.clientEvents('input_audio_buffer.append')).toEqual([]);
  });

  it('reports inputs after the session closed as not delivered, and queued inputs of a session that never opened', async () => {
    await open();
    await client!.disconnect();
    expect(client!.sendRequest('late')).toBe('not_delivered');
    expect(client!.createResponse()).toBe('not_delivered');
    expect(client!.sendRequest(new Int16Array(480))).toBe('not_delivered');
    const never = new RealtimeClient({ name: 'x', instructions: 'x', model: 'gpt-realtime', voice: 'marin', url: 'ws://127.0.0.1:9/none', logger: createLogger('silent') });
    const connecting = never.connect();
    expect(never.sendRequest('The caller pressed 1 on the phone keypad.')).toBe('queued');
    await expect(connecting).rejects.toThrow(/Realtime connection failed/);
    await expect(connecting).rejects.toBeInstanceOf(RealtimeConnectError);
    expect(await never.opened()).toBe(false);
  });

  it('deletes an item, and never truncates an item with no audio (the server rejects it)', async () => {
    const { events } = await open({ greeting: { durationMs: 300 } });
    client!.createResponse();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'response_done')).toBe(true));
    const item = events.find((e) => e.type === 'output_item');
    expect(item).toMatchObject({ type: 'output_item', responseId: expect.any(String) });
    expect(client!.truncate('item_without_audio', 100)).toBeUndefined();
    expect(client!.deleteItem(item!.type === 'output_item' ? item!.itemId : '')).toBe(true);
    await server!.waitForServerEvent('conversation.item.deleted');
    expect(server!.clientEvents('conversation.item.truncate')).toEqual([]);
    expect(server!.serverEvents('error')).toEqual([]);
  });

  it('throws a readable setup error without a key or a local url', async () => {
    const noKey = new RealtimeClient({ name: 'x', instructions: 'x', model: 'gpt-realtime', voice: 'marin', logger: createLogger('silent') });
    await expect(noKey.connect()).rejects.toThrow(/API key/);
    await expect(new RealtimeClient({ name: 'x', instructions: 'x', model: 'gpt-realtime', voice: 'marin', logger: createLogger('silent') }).connect()).rejects.toBeInstanceOf(ConfigError);
  });
});
