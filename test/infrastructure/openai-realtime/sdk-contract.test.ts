/**
 * Contract tests of the SDK members the fence (`src/infrastructure/openai-realtime/`) relies on. Each drives the
 * real `@openai/agents-realtime` transport against a scripted loopback socket (the test decides every server event
 * and records every client event), and asserts the behaviour the project builds on. Where the project switches an
 * SDK behaviour off, the plain SDK class is driven too, so an upgrade that changes that behaviour (and so makes the
 * override dead or wrong) fails here, by name.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { z } from 'zod';
import {
  ControlledRealtimeTransport,
  routesPastSdk,
  SDK_HISTORY_EVENT_TYPES,
  SDK_INERT_EVENT_TYPES,
  SDK_ROUTED_EVENT_TYPES,
} from '../../../src/infrastructure/openai-realtime/realtime-transport.js';
import { RealtimeWebSocket } from '../../../src/infrastructure/openai-realtime/realtime-websocket.js';

type Json = Record<string, unknown>;

/** A loopback Realtime endpoint whose server events the test sends one by one. */
class ScriptedRealtimeSocket {
  readonly received: Json[] = [];
  headers: IncomingHttpHeaders = {};
  private peer: WebSocket | undefined;
  private eventId = 0;

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket, request) => {
      this.peer = socket;
      this.headers = request.headers;
      socket.on('message', (data) => this.received.push(JSON.parse(String(data)) as Json));
      this.send({ type: 'session.created', session: { type: 'realtime', audio: { output: { format: { type: 'audio/pcm', rate: 24_000 } } } } });
    });
  }

  static async start(): Promise<ScriptedRealtimeSocket> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return new ScriptedRealtimeSocket(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/realtime`;
  }

  send(event: Json, options: { binary?: boolean } = {}): void {
    this.eventId += 1;
    this.peer?.send(JSON.stringify({ event_id: `event_${this.eventId}`, ...event }), { binary: options.binary ?? false });
  }

  responseCreated(id: string): void {
    this.send({ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress', output: [] } });
  }

  responseDone(id: string): void {
    this.send({ type: 'response.done', response: { id, object: 'realtime.response', status: 'completed', output: [] } });
  }

  delta(itemId: string, responseId: string, samples: number): Json {
    const delta = Buffer.from(new Int16Array(samples).fill(1000).buffer).toString('base64');
    return { type: 'response.output_audio.delta', response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta };
  }

  /** Client events of `type` received so far. */
  ofType(type: string): Json[] {
    return this.received.filter((event) => event.type === type);
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Reads the SDK's protected `currentItemId` (the item of the last delta the SDK parsed itself). */
class PlainProbe extends OpenAIRealtimeWebSocket {
  get itemOfLastDelta(): string | undefined {
    return this.currentItemId;
  }
}

class ControlledProbe extends ControlledRealtimeTransport {
  get itemOfLastDelta(): string | undefined {
    return this.currentItemId;
  }
}

const transports: OpenAIRealtimeWebSocket[] = [];
let scripted: ScriptedRealtimeSocket | undefined;

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await scripted?.close();
  scripted = undefined;
});

async function connect<T extends OpenAIRealtimeWebSocket>(transport: T): Promise<{ transport: T; server: ScriptedRealtimeSocket; rawTypes: string[] }> {
  const server = await ScriptedRealtimeSocket.start();
  scripted = server;
  transports.push(transport);
  const rawTypes: string[] = [];
  transport.on('*', (event) => rawTypes.push((event as { type: string }).type));
  await transport.connect({ apiKey: 'sk-contract', url: server.url, model: 'gpt-realtime' });
  await vi.waitFor(() => expect(rawTypes).toContain('session.created'));
  return { transport, server, rawTypes };
}

/**
 * Everything the client sent because of the server events so far: a marker event is sent after the last one was
 * handled, and the client's events before the marker are returned.
 */
async function sentUntilNow(transport: OpenAIRealtimeWebSocket, server: ScriptedRealtimeSocket, rawTypes: string[], lastType: string): Promise<Json[]> {
  await vi.waitFor(() => expect(rawTypes).toContain(lastType));
  const marker = `marker_${server.received.length}_${Date.now()}`;
  transport.sendEvent({ type: 'conversation.item.delete', item_id: marker });
  await vi.waitFor(() => expect(server.received.some((event) => event.item_id === marker)).toBe(true));
  return server.received.slice(0, server.received.findIndex((event) => event.item_id === marker));
}

describe('SDK contract: OpenAIRealtimeWebSocket subclass, createWebSocket and getCommonRequestHeaders', () => {
  it('opens the socket through createWebSocket as a RealtimeWebSocket with the Authorization and SDK headers, without permessage-deflate', async () => {
    const { transport, server } = await connect(new ControlledRealtimeTransport('pcm16'));
    expect(transport.status).toBe('connected');
    expect(transport.isOpen).toBe(true);
    expect(transport.connectionState.websocket).toBeInstanceOf(RealtimeWebSocket);
    expect(server.headers.authorization).toBe('Bearer sk-contract');
    expect(server.headers['user-agent']).toMatch(/^Agents\/JavaScript \d/);
    expect(server.headers['x-openai-agents-sdk']).toMatch(/^openai-agents-sdk\.\d/);
    expect(server.headers['sec-websocket-extensions']).toBeUndefined();
  });
});

describe('SDK contract: interrupt() replaced', () => {
  async function speechStartedDuringReply(transport: OpenAIRealtimeWebSocket): Promise<Json[]> {
    const { server, rawTypes } = await connect(transport);
    server.responseCreated('resp_1');
    server.send(server.delta('item_1', 'resp_1', 4800));
    server.send({ type: 'input_audio_buffer.speech_started', item_id: 'item_user', audio_start_ms: 1200 });
    return sentUntilNow(transport, server, rawTypes, 'input_audio_buffer.speech_started');
  }

  it('the plain SDK answers speech_started during a reply with response.cancel and a wall-clock truncate (what the override switches off)', async () => {
    const sent = await speechStartedDuringReply(new OpenAIRealtimeWebSocket());
    expect(sent.filter((event) => event.type === 'response.cancel')).toHaveLength(1);
    expect(sent.filter((event) => event.type === 'conversation.item.truncate')).toEqual([
      expect.objectContaining({ item_id: 'item_1', content_index: 0 }),
    ]);
  });

  it('the controlled transport sends neither a cancel nor a truncate on speech_started', async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const interrupted = vi.fn();
    transport.on('audio_interrupted', interrupted);
    const sent = await speechStartedDuringReply(transport);
    expect(sent.map((event) => event.type).filter((type) => type === 'response.cancel' || type === 'conversation.item.truncate')).toEqual([]);
    expect(interrupted).not.toHaveBeenCalled();
  });
});

describe('SDK contract: _updateTracingConfig overridden', () => {
  const tracingOnly = (event: Json): boolean =>
    event.type === 'session.update' && 'tracing' in (event.session as Json) && !('audio' in (event.session as Json));

  it('the plain SDK sends a tracing-only session.update after session.created (no audio formats in it)', async () => {
    const transport = new OpenAIRealtimeWebSocket();
    const { server, rawTypes } = await connect(transport);
    const sent = await sentUntilNow(transport, server, rawTypes, 'session.created');
    expect(sent.filter(tracingOnly)).toEqual([{ type: 'session.update', session: { type: 'realtime', tracing: 'auto' } }]);
  });

  it('the controlled transport sends no tracing-only session.update', async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const { server, rawTypes } = await connect(transport);
    const sent = await sentUntilNow(transport, server, rawTypes, 'session.created');
    expect(sent.filter(tracingOnly)).toEqual([]);
  });
});

describe('SDK contract: output-audio deltas (ws.emit override, currentItemId and _onAudio)', () => {
  const malformed: Array<[string, (delta: Json) => Json]> = [
    ['without response_id', ({ response_id: _omit, ...rest }) => rest],
    ['without item_id', ({ item_id: _omit, ...rest }) => rest],
    ['with a non-string delta', (delta) => ({ ...delta, delta: 42 })],
  ];

  it('the plain SDK plays a well-formed delta (audio event, currentItemId = its item id) and drops the malformed ones', async () => {
    const transport = new PlainProbe();
    const audio = vi.fn();
    transport.on('audio', audio);
    const { server, rawTypes } = await connect(transport);
    server.responseCreated('resp_1');
    for (const [, mangle] of malformed) server.send(mangle(server.delta('item_bad', 'resp_1', 480)));
    server.send(server.delta('item_1', 'resp_1', 480));
    server.send({ type: 'input_audio_buffer.speech_stopped', item_id: 'item_user', audio_end_ms: 10 });
    await sentUntilNow(transport, server, rawTypes, 'input_audio_buffer.speech_stopped');
    expect(audio).toHaveBeenCalledTimes(1);
    expect(audio.mock.calls[0]?.[0]).toMatchObject({ type: 'audio', responseId: 'resp_1' });
    expect(transport.itemOfLastDelta).toBe('item_1');
  });

  it('the controlled transport hands every delta the SDK would play to its sink (text or binary frame), tagged with its item; the SDK sees none', async () => {
    const transport = new ControlledProbe('pcm16');
    const sink = vi.fn();
    const sdkAudio = vi.fn();
    transport.setAudioSink(sink);
    transport.on('audio', sdkAudio);
    const { server, rawTypes } = await connect(transport);
    server.responseCreated('resp_1');
    for (const [, mangle] of malformed) server.send(mangle(server.delta('item_bad', 'resp_1', 480)));
    server.send(server.delta('item_1', 'resp_1', 480));
    server.send(server.delta('item_2', 'resp_1', 240), { binary: true });
    server.send({ type: 'input_audio_buffer.speech_stopped', item_id: 'item_user', audio_end_ms: 10 });
    await sentUntilNow(transport, server, rawTypes, 'input_audio_buffer.speech_stopped');
    expect(sink.mock.calls.map(([itemId, responseId, pcm]) => [itemId, responseId, (pcm as Int16Array).length])).toEqual([
      ['item_1', 'resp_1', 480],
      ['item_2', 'resp_1', 240],
    ]);
    expect(sdkAudio).not.toHaveBeenCalled();
    // The SDK never parsed a well-formed delta, so its own playback state (used by its interrupt) stays empty.
    expect(transport.itemOfLastDelta).toBeUndefined();
    expect(rawTypes.filter((type) => type === 'response.output_audio.delta')).toHaveLength(malformed.length);
  });
});

describe('SDK contract: _cancelResponse', () => {
  it('sends response.cancel only while a response is in flight, and once per response', async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const { server, rawTypes } = await connect(transport);
    transport.cancelInFlight();
    expect((await sentUntilNow(transport, server, rawTypes, 'session.created')).filter((e) => e.type === 'response.cancel')).toHaveLength(0);

    server.responseCreated('resp_1');
    await vi.waitFor(() => expect(rawTypes).toContain('response.created'));
    transport.cancelInFlight();
    transport.cancelInFlight();
    expect((await sentUntilNow(transport, server, rawTypes, 'response.created')).filter((e) => e.type === 'response.cancel')).toHaveLength(1);

    server.responseDone('resp_1');
    await vi.waitFor(() => expect(rawTypes).toContain('response.done'));
    transport.cancelInFlight();
    expect((await sentUntilNow(transport, server, rawTypes, 'response.done')).filter((e) => e.type === 'response.cancel')).toHaveLength(1);
  });
});

describe("SDK contract: raw '*' events", () => {
  it("hands every server event to '*' listeners as the wire JSON (snake_case), events outside the SDK's schema included", async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const raw: Json[] = [];
    transport.on('*', (event) => raw.push(event as Json));
    const { server, rawTypes } = await connect(transport);
    server.send({ type: 'input_audio_buffer.speech_started', item_id: 'item_user', audio_start_ms: 1200 });
    server.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'item_user', content_index: 0, delta: 'Hel' });
    server.send({ type: 'response.future_event', response_id: 'resp_9', detail: { nested_field: 1 } });
    server.send({ type: 'input_audio_buffer.speech_stopped', item_id: 'item_user', audio_end_ms: 2400 });
    await sentUntilNow(transport, server, rawTypes, 'input_audio_buffer.speech_stopped');
    expect(raw.slice(1)).toEqual([
      { event_id: expect.any(String), type: 'input_audio_buffer.speech_started', item_id: 'item_user', audio_start_ms: 1200 },
      { event_id: expect.any(String), type: 'conversation.item.input_audio_transcription.delta', item_id: 'item_user', content_index: 0, delta: 'Hel' },
      { event_id: expect.any(String), type: 'response.future_event', response_id: 'resp_9', detail: { nested_field: 1 } },
      { event_id: expect.any(String), type: 'input_audio_buffer.speech_stopped', item_id: 'item_user', audio_end_ms: 2400 },
    ]);
  });
});

/** One wire example of each event the transport routes past the SDK. */
const INERT_EXAMPLES: Json[] = [
  { type: 'input_audio_buffer.speech_started', item_id: 'item_user', audio_start_ms: 1200 },
  { type: 'input_audio_buffer.speech_stopped', item_id: 'item_user', audio_end_ms: 2400 },
  { type: 'input_audio_buffer.committed', item_id: 'item_user', previous_item_id: null },
  { type: 'input_audio_buffer.cleared' },
  { type: 'conversation.item.input_audio_transcription.delta', item_id: 'item_user', content_index: 0, delta: 'Hel' },
  { type: 'response.content_part.added', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, part: { type: 'audio', transcript: '' } },
  { type: 'response.output_audio_transcript.delta', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, delta: 'Hi "response.output_audio.delta"' },
  { type: 'response.output_audio_transcript.done', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, transcript: 'Hi' },
  { type: 'response.content_part.done', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, part: { type: 'audio', transcript: 'Hi' } },
  { type: 'rate_limits.updated', rate_limits: [{ name: 'tokens', limit: 1000, remaining: 900, reset_seconds: 1 }] },
];

/** The plain SDK transport, recording every event name it emits. */
class EmitRecorder extends OpenAIRealtimeWebSocket {
  readonly emitted: string[] = [];
  interrupts = 0;

  override emit(...args: Parameters<OpenAIRealtimeWebSocket['emit']>): ReturnType<OpenAIRealtimeWebSocket['emit']> {
    this.emitted.push(String(args[0]));
    return super.emit(...args);
  }

  override interrupt(): void {
    this.interrupts += 1;
  }
}

describe('SDK contract: events routed past the SDK (SDK_INERT_EVENT_TYPES)', () => {
  it('the list is exactly the events the tests below exercise', () => {
    expect([...SDK_INERT_EVENT_TYPES].sort()).toEqual(INERT_EXAMPLES.map((event) => event.type as string).sort());
  });

  it('the plain SDK reacts to none of them beyond emitting it (and interrupt() on speech_started, the transcript delta for output guardrails) and sends nothing', async () => {
    const transport = new EmitRecorder();
    const { server, rawTypes } = await connect(transport);
    server.responseCreated('resp_1');
    await vi.waitFor(() => expect(rawTypes).toContain('response.created'));
    const before = server.received.length;
    transport.emitted.length = 0;
    for (const event of INERT_EXAMPLES) server.send(event);
    const sent = await sentUntilNow(transport, server, rawTypes, 'rate_limits.updated');
    expect(sent.slice(before)).toEqual([]);
    const expected = INERT_EXAMPLES.flatMap((event) => {
      const names = ['*', event.type as string];
      if (event.type === 'response.output_audio_transcript.delta') names.push('audio_transcript_delta');
      return names;
    });
    expect(transport.emitted).toEqual(expected);
    expect(transport.interrupts).toBe(1);
  });

  it("the controlled transport hands each to '*' listeners as the wire JSON without the SDK parsing it; other events still go through the SDK", async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const onMessage = vi.spyOn(transport, '_onMessage');
    const raw: Json[] = [];
    transport.on('*', (event) => raw.push(event as Json));
    const { server, rawTypes } = await connect(transport);
    onMessage.mockClear();
    raw.length = 0;
    for (const event of INERT_EXAMPLES) server.send(event);
    server.send(event_after);
    await vi.waitFor(() => expect(rawTypes).toContain('response.future_event'));
    expect(raw).toEqual([...INERT_EXAMPLES, event_after].map((event) => ({ event_id: expect.any(String), ...event })));
    // Only the event outside the list reached the SDK's parser.
    expect(onMessage).toHaveBeenCalledTimes(1);
  });

  it('an inert type that is not the top-level type (nested first, or a different spelling) goes to the SDK', async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const onMessage = vi.spyOn(transport, '_onMessage');
    const { server, rawTypes } = await connect(transport);
    onMessage.mockClear();
    server.send({ detail: { type: 'input_audio_buffer.speech_stopped' }, type: 'response.future_event' });
    await vi.waitFor(() => expect(rawTypes).toContain('response.future_event'));
    expect(onMessage).toHaveBeenCalledTimes(1);
  });
});

const event_after: Json = { type: 'response.future_event', response_id: 'resp_9' };

/** A user's spoken turn and the assistant's reply, as the item events the API sends (message items only). */
const userItem: Json = { id: 'item_user', object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
const replyItem: Json = { id: 'item_1', object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
const replyDone: Json = { ...replyItem, status: 'completed', content: [{ type: 'output_audio', transcript: 'Hi' }] };

/** One wire example of each history event the transport routes, in the order a turn brings them. */
const HISTORY_EXAMPLES: Json[] = [
  { type: 'conversation.item.added', previous_item_id: null, item: userItem },
  { type: 'conversation.item.done', previous_item_id: null, item: userItem },
  { type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_user', content_index: 0, transcript: 'Hello there' },
  { type: 'response.output_item.added', response_id: 'resp_1', output_index: 0, item: replyItem },
  { type: 'conversation.item.added', previous_item_id: 'item_user', item: replyItem },
  { type: 'response.output_item.done', response_id: 'resp_1', output_index: 0, item: replyDone },
  { type: 'conversation.item.done', previous_item_id: 'item_user', item: replyDone },
  { type: 'conversation.item.truncated', item_id: 'item_1', content_index: 0, audio_end_ms: 300 },
  { type: 'conversation.item.retrieved', item: { ...replyDone, content: [{ type: 'output_audio', transcript: 'H' }] } },
  { type: 'conversation.item.deleted', item_id: 'item_1' },
];

/** Events of the routed types the SDK acts on for the project (tool calls, MCP state): they stay with it. */
const functionCallItem: Json = { id: 'item_fc', object: 'realtime.item', type: 'function_call', status: 'completed', name: 'get_time', call_id: 'call_1', arguments: '{"zone":"UTC"}' };
const KEPT_EXAMPLES: Json[] = [
  { type: 'response.output_item.added', response_id: 'resp_1', output_index: 1, item: { ...functionCallItem, status: 'in_progress', arguments: '' } },
  { type: 'response.output_item.done', response_id: 'resp_1', output_index: 1, item: functionCallItem },
  { type: 'conversation.item.added', previous_item_id: 'item_1', item: { ...functionCallItem, status: 'in_progress', arguments: '' } },
  { type: 'conversation.item.done', previous_item_id: 'item_1', item: { id: 'item_mcp', type: 'mcp_list_tools', server_label: 'crm', tools: [] } },
];

describe('SDK contract: conversation-item events routed past the SDK (SDK_HISTORY_EVENT_TYPES)', () => {
  it('the list is exactly the events the tests below exercise; the routed types are the inert ones and these', () => {
    expect([...SDK_HISTORY_EVENT_TYPES].sort()).toEqual([...new Set(HISTORY_EXAMPLES.map((event) => event.type as string))].sort());
    expect([...SDK_ROUTED_EVENT_TYPES].sort()).toEqual([...SDK_INERT_EVENT_TYPES, ...SDK_HISTORY_EVENT_TYPES].sort());
    for (const event of [...INERT_EXAMPLES, ...HISTORY_EXAMPLES]) expect({ type: event.type, routed: routesPastSdk(event as { type: string }) }).toEqual({ type: event.type, routed: true });
    for (const event of KEPT_EXAMPLES) expect({ type: event.type, routed: routesPastSdk(event as { type: string }) }).toEqual({ type: event.type, routed: false });
    expect(routesPastSdk({ type: 'response.done', response: {} })).toBe(false);
    expect(routesPastSdk({ type: 'conversation.item.added' })).toBe(false);
  });

  it('the plain SDK uses them only for its session history (item_update / item_deleted) and item retrieves, and sends nothing else', async () => {
    const transport = new EmitRecorder();
    const session = new RealtimeSession(new RealtimeAgent({ name: 'contract' }), { transport, tracingDisabled: true, historyStoreAudio: false });
    const { server, rawTypes } = await connectSession(session, transport);
    server.responseCreated('resp_1');
    await vi.waitFor(() => expect(rawTypes).toContain('response.created'));
    const before = server.received.length;
    transport.emitted.length = 0;
    const historySizes: number[] = [];
    session.on('history_updated', (history) => historySizes.push(history.length));
    for (const event of HISTORY_EXAMPLES) server.send(event);
    const sent = await sentUntilNow(transport, server, rawTypes, 'conversation.item.deleted');
    // The one thing sent: a retrieve for the transcription and for the truncate, to refresh the local history.
    expect(sent.slice(before)).toEqual([
      { type: 'conversation.item.retrieve', item_id: 'item_user' },
      { type: 'conversation.item.retrieve', item_id: 'item_1' },
    ]);
    const expected = HISTORY_EXAMPLES.flatMap((event) => {
      const names = ['*', event.type as string];
      if (event.type === 'conversation.item.deleted') names.push('item_deleted');
      else if ('item' in event) names.push('item_update');
      return names;
    });
    expect(transport.emitted).toEqual(expected);
    // What routing takes away: the session's copy of the conversation, rebuilt on each of these events.
    expect(historySizes).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 1]);
    expect(session.history).toEqual([expect.objectContaining({ itemId: 'item_user', role: 'user' })]);
    session.close();
  });

  it("the controlled transport hands each to '*' as the wire JSON without the SDK parsing it; the session keeps no history and sends no retrieve", async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const onMessage = vi.spyOn(transport, '_onMessage');
    const session = new RealtimeSession(new RealtimeAgent({ name: 'contract' }), { transport, tracingDisabled: true, historyStoreAudio: false });
    const raw: Json[] = [];
    transport.on('*', (event) => raw.push(event as Json));
    const { server, rawTypes } = await connectSession(session, transport);
    server.responseCreated('resp_1');
    await vi.waitFor(() => expect(rawTypes).toContain('response.created'));
    onMessage.mockClear();
    raw.length = 0;
    const before = server.received.length;
    const historyUpdates = vi.fn();
    session.on('history_updated', historyUpdates);
    for (const event of HISTORY_EXAMPLES) server.send(event);
    server.send(event_after);
    const sent = await sentUntilNow(transport, server, rawTypes, 'response.future_event');
    expect(raw).toEqual([...HISTORY_EXAMPLES, event_after].map((event) => ({ event_id: expect.any(String), ...event })));
    // Only the event outside the lists reached the SDK's parser.
    expect(onMessage).toHaveBeenCalledTimes(1);
    expect(sent.slice(before)).toEqual([]);
    expect(session.history).toEqual([]);
    // Only the session's own '*' listener touches its history (the transcript merge), over the empty copy.
    expect(historyUpdates.mock.calls.map(([history]) => (history as unknown[]).length)).toEqual([0]);
    session.close();
  });

  it('a function call still goes through the SDK: its output_item.done reaches the SDK, runs the tool and answers with its output and a response.create', async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const onMessage = vi.spyOn(transport, '_onMessage');
    const calls = vi.fn();
    transport.on('function_call', calls);
    const getTime = tool({ name: 'get_time', description: 'Time in a zone.', parameters: z.object({ zone: z.string() }), execute: async ({ zone }) => `noon ${zone}` });
    const session = new RealtimeSession(new RealtimeAgent({ name: 'contract', tools: [getTime] }), { transport, tracingDisabled: true });
    const { server, rawTypes } = await connectSession(session, transport);
    // The session resolves its tool configuration when it first sends its session.update.
    await vi.waitFor(() => expect(server.ofType('session.update').length).toBeGreaterThan(0));
    server.responseCreated('resp_1');
    await vi.waitFor(() => expect(rawTypes).toContain('response.created'));
    onMessage.mockClear();
    for (const event of KEPT_EXAMPLES) server.send(event);
    await vi.waitFor(() => expect(server.ofType('conversation.item.create')).toHaveLength(1));
    expect(onMessage).toHaveBeenCalledTimes(KEPT_EXAMPLES.length);
    expect(calls).toHaveBeenCalledWith(expect.objectContaining({ callId: 'call_1', name: 'get_time', arguments: '{"zone":"UTC"}', responseId: 'resp_1' }));
    expect(server.ofType('conversation.item.create')[0]).toMatchObject({ item: { type: 'function_call_output', call_id: 'call_1', output: 'noon UTC' } });
    server.responseDone('resp_1');
    await vi.waitFor(() => expect(server.ofType('response.create')).toHaveLength(1));
    session.close();
  });

  it('RealtimeSession.updateHistory is refused (it would diff against a history the transport does not keep)', async () => {
    const transport = new ControlledRealtimeTransport('pcm16');
    const session = new RealtimeSession(new RealtimeAgent({ name: 'contract' }), { transport, tracingDisabled: true });
    const { server, rawTypes } = await connectSession(session, transport);
    expect(() => session.updateHistory([])).toThrow(/not supported/);
    const sent = await sentUntilNow(transport, server, rawTypes, 'session.created');
    expect(sent.filter((event) => event.type === 'conversation.item.create' || (event.type === 'conversation.item.delete' && !String(event.item_id).startsWith('marker_')))).toEqual([]);
    session.close();
  });
});

async function connectSession(session: RealtimeSession, transport: OpenAIRealtimeWebSocket): Promise<{ server: ScriptedRealtimeSocket; rawTypes: string[] }> {
  const server = await ScriptedRealtimeSocket.start();
  scripted = server;
  transports.push(transport);
  const rawTypes: string[] = [];
  transport.on('*', (event) => rawTypes.push((event as { type: string }).type));
  await session.connect({ apiKey: 'sk-contract', url: server.url, model: 'gpt-realtime' });
  await vi.waitFor(() => expect(rawTypes).toContain('session.created'));
  return { server, rawTypes };
}
