import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRealtimeClient, realtimeClientOptionsFrom } from '../../src/infrastructure/openai-realtime/create-realtime-client.js';
import { createLogger } from '../../src/logger.js';
import { RealtimeService } from '../../src/service/realtime-service.js';
import type { ServiceConfig } from '../../src/service/service-config.js';
import type { ServiceAudioChunk, ServiceEvent } from '../../src/service/service-events.js';
import {
  base64ToPcm,
  chunkPcm,
  concatPcm,
  RealtimeFakeServer,
  silence,
  tone,
  type FakeScript,
  type RealtimeFakeServerOptions,
  type WireEvent,
} from '../../fakes/realtime-server.js';
import { FakePlayback } from './fake-playback.js';
import { TestOrchestrator } from './test-orchestrator.js';

const PCM_24K = { type: 'audio/pcm', rate: 24000 };
/** A caller saying something short, then enough silence for the VAD (500 ms) to end the turn. */
const UTTERANCE = concatPcm(tone(300, 300), silence(700));

/** Caller audio the test pushes in 20 ms frames, like the carrier adapter would. */
class PushInput implements AsyncIterable<Int16Array> {
  private readonly queue: Int16Array[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(pcm: Int16Array): void {
    for (const chunk of chunkPcm(pcm, 20)) this.queue.push(chunk);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Int16Array> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

interface Harness {
  server: RealtimeFakeServer;
  service: RealtimeService;
  playback: FakePlayback;
  orchestrator: TestOrchestrator;
  input: PushInput;
  events: ServiceEvent[];
  yielded: ServiceAudioChunk[];
  consumer: Promise<void>;
}

describe('RealtimeService against the fake Realtime server', () => {
  let h: Harness | undefined;

  async function start(
    script: FakeScript,
    serverOptions: Omit<RealtimeFakeServerOptions, 'script'> = {},
    orchestrator = new TestOrchestrator(),
    carrier: { playsInstantly?: boolean } = {},
  ): Promise<Harness> {
    const server = await RealtimeFakeServer.start({ script, ...serverOptions });
    const playback = new FakePlayback();
    const config: ServiceConfig = {
      initialInstruction: 'Greet callers.',
      agentType: 'realtime',
      greeting: 'Say: welcome to Acme.',
    };
    const logger = createLogger('silent');
    // The client is built as production builds it, from the validated process configuration.
    const processConfig = loadConfig({
      PUBLIC_BASE_URL: 'https://bot.example.test',
      TWILIO_AUTH_TOKEN: 'f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5',
      OPENAI_REALTIME_URL: server.url,
      OPENAI_VOICE: 'marin',
      REALTIME_AUDIO_FORMAT: 'pcm16',
    });
    const client = createRealtimeClient(realtimeClientOptionsFrom(processConfig, { name: 'receptionist', instructions: config.initialInstruction, logger }));
    const service = new RealtimeService(config, orchestrator, { client, playback, logger, callSid: 'CA123', audioFormat: processConfig.openai.realtimeAudioFormat });
    const events: ServiceEvent[] = [];
    service.on((e) => events.push(e));
    await service.connect();
    const input = new PushInput();
    const yielded: ServiceAudioChunk[] = [];
    const output = service.process(input);
    const consumer = (async () => {
      for await (const chunk of output) {
        yielded.push(chunk);
        playback.deliver(chunk.itemId, chunk.pcm);
        // A carrier whose queue runs empty between chunks: every mark echoed as soon as the audio arrives.
        if (carrier.playsInstantly) playback.setPlayed(chunk.itemId, 1e9);
      }
    })();
    h = { server, service, playback, orchestrator, input, events, yielded, consumer };
    return h;
  }

  afterEach(async () => {
    await h?.service.close();
    await h?.server.close();
    h = undefined;
  });

  const samplesOf = (chunks: ServiceAudioChunk[], itemId?: string) =>
    chunks.filter((c) => itemId === undefined || c.itemId === itemId).reduce((n, c) => n + c.pcm.length, 0);

  it('forwards caller PCM as appends of exactly the same duration', async () => {
    const { server, input } = await start({});
    input.push(silence(2000));
    await vi.waitFor(() => expect(server.clientEvents('input_audio_buffer.append')).toHaveLength(100));
    const samples = server.clientEvents('input_audio_buffer.append').reduce((n, e) => n + base64ToPcm(e.audio as string).length, 0);
    expect(samples).toBe(2000 * 24);
  });

  it('plays the greeting first, asked for with the configured greeting as instructions', async () => {
    const { server, service, events, yielded } = await start({ greeting: { transcript: 'Welcome to Acme.', durationMs: 800 } });
    service.greet();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'response_done')).toBe(true));
    await vi.waitFor(() => expect(samplesOf(yielded)).toBe(800 * 24));
    const creates = server.clientEvents('response.create');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.response).toEqual({ instructions: 'Say: welcome to Acme.' });
    const greetingItem = (server.serverEvents('response.output_item.added')[0]!.item as { id: string }).id;
    expect(new Set(yielded.map((c) => c.itemId))).toEqual(new Set([greetingItem]));
    expect(events.find((e) => e.type === 'transcript' && e.final)).toMatchObject({ role: 'assistant', text: 'Welcome to Acme.' });
    // After the response is done, the item's end follows its audio in order, so the carrier sends the tail at once.
    await vi.waitFor(() => expect(yielded.at(-1)).toMatchObject({ itemId: greetingItem, itemDone: true }));
    expect(yielded.filter((c) => c.itemDone)).toHaveLength(1);
  });

  it('applies a switch from the next turn when the caller already heard part of the reply: one session.update, no cancel, no clear, no truncate', async () => {
    const orchestrator = new TestOrchestrator(
      (input) => ({ intent: 'billing', confidence: 0.9, agent: 'billing', instruction_update: `You handle billing. Caller said: ${input.transcript}` }),
      { hold: true },
    );
    const { server, service, playback, events, input, yielded } = await start(
      { turns: [{ userTranscript: 'I have a billing question', reply: { durationMs: 3000 } }] },
      { realtimeFactor: 0.25, transcriptDelayMs: 300, firstAudioDelayMs: 100 },
      orchestrator,
    );
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(yielded.length).toBeGreaterThan(0));
    const replyDone = server.waitForServerEvent('response.done', 10_000);
    const replyItem = yielded[0]!.itemId;
    // Twilio echoed the first marks of the reply: the caller has heard 160 ms of it.
    playback.setPlayed(replyItem, 160);
    await vi.waitFor(() => expect(orchestrator.invocations).toHaveLength(1));
    orchestrator.release();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'instructions_updated')).toBe(true));
    const reply = await replyDone;

    const updates = server.clientEvents('session.update');
    expect(updates).toHaveLength(2);
    const update = updates[1]!.session as { instructions: string; audio: { input: { format: unknown }; output: { format: unknown } } };
    expect(update.instructions).toBe('You handle billing. Caller said: I have a billing question');
    expect(update.audio.input.format).toEqual(PCM_24K);
    expect(update.audio.output.format).toEqual(PCM_24K);
    // The update landed while the reply was still being generated, and the reply finished normally.
    const timeline = server.timeline();
    const updateSeq = timeline.find((r) => r.event === updates[1])!.seq;
    const doneSeq = timeline.find((r) => r.event === reply)!.seq;
    expect(updateSeq).toBeLessThan(doneSeq);
    expect((reply.response as { status: string }).status).toBe('completed');
    expect(server.clientEvents('response.cancel')).toEqual([]);
    expect(server.clientEvents('conversation.item.truncate')).toEqual([]);
    expect(server.clientEvents('conversation.item.delete')).toEqual([]);
    expect(server.clientEvents('response.create')).toEqual([]);
    expect(playback.clears).toEqual([]);
    expect(events.some((e) => e.type === 'reply_rerouted')).toBe(false);
    expect(orchestrator.invocations).toEqual([
      { callSid: 'CA123', transcript: 'I have a billing question', itemId: expect.any(String), agentType: 'realtime' },
    ]);
    expect(service.instruction).toBe(update.instructions);
    expect(server.totalConnections).toBe(1);
  });

  /** The SDK's own traffic (appends, its history reads), not decisions of the service. */
  const isBackground = (type: string) => type === 'input_audio_buffer.append' || type === 'conversation.item.retrieve';

  /** Client events after the caller's commit, background left out: what the service did about the reply. */
  function controlEventsAfterCommit(server: RealtimeFakeServer): string[] {
    const timeline = server.timeline();
    const commitSeq = timeline.find((r) => r.event.type === 'input_audio_buffer.committed')?.seq ?? Infinity;
    return timeline.filter((r) => r.direction === 'client' && r.seq > commitSeq && !isBackground(r.event.type)).map((r) => r.event.type);
  }

  const billing = new TestOrchestrator(() => ({ intent: 'bill_explanation', confidence: 0.9, agent: 'billing', instruction_update: 'You are the billing specialist.' }));

  it('re-routes the reply to the same turn when the switch lands before its first audio: cancel, update, wait for done, delete, create', async () => {
    const { server, playback, events, input, yielded } = await start(
      { turns: [{ userTranscript: 'I was charged twice', reply: { transcript: 'Let me look at that double charge.', durationMs: 1500 } }] },
      { realtimeFactor: 0.25, transcriptDelayMs: 300, firstAudioDelayMs: 800 },
      billing,
    );
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'reply_rerouted')).toBe(true));
    await vi.waitFor(() => expect(server.serverEvents('response.done')).toHaveLength(2), { timeout: 5_000 });

    const [stale, specialist] = server.serverEvents('response.done').map((e) => e.response as { id: string; status: string; output: Array<{ id: string }> });
    expect(stale!.status).toBe('cancelled');
    expect(specialist!.status).toBe('completed');
    const staleItem = stale!.output[0]!.id;
    expect(controlEventsAfterCommit(server)).toEqual(['response.cancel', 'session.update', 'conversation.item.delete', 'response.create']);
    expect(server.clientEvents('conversation.item.delete')).toEqual([{ type: 'conversation.item.delete', item_id: staleItem }]);
    expect((server.clientEvents('session.update')[1]!.session as { instructions: string }).instructions).toBe('You are the billing specialist.');
    // The server never generated a sample of the stale reply, and the caller heard only the specialist.
    expect(server.generatedMs(staleItem)).toBe(0);
    expect(server.serverEvents('response.output_audio.delta').filter((e) => e.item_id === staleItem)).toEqual([]);
    // The model answered the same turn again, now as the specialist: that is the only reply the carrier got.
    await vi.waitFor(() => expect(samplesOf(yielded)).toBe(1500 * 24));
    expect(new Set(yielded.map((c) => c.itemId))).toEqual(new Set([specialist!.output[0]!.id]));
    // response.create went out only after the cancelled reply's response.done: never two responses in flight.
    const timeline = server.timeline();
    const staleDoneSeq = timeline.find((r) => r.event.type === 'response.done')!.seq;
    const createSeq = timeline.find((r) => r.event.type === 'response.create')!.seq;
    expect(createSeq).toBeGreaterThan(staleDoneSeq);
    expect(playback.clears).toEqual([]);
    expect(events.find((e) => e.type === 'reply_rerouted')).toMatchObject({
      agent: 'billing',
      cancelledResponseId: stale!.id,
      carrierCleared: false,
      truncations: [],
      deletedItemIds: [staleItem],
      responseRequested: true,
    });
    expect(server.serverEvents('error')).toEqual([]);
  });

  it('re-routes a reply whose audio reached the carrier but was not heard yet: its item is deleted, not truncated', async () => {
    const { server, playback, events, input, yielded } = await start(
      { turns: [{ userTranscript: 'I was charged twice', reply: { durationMs: 3000 } }], fallbackReply: { durationMs: 400 } },
      { realtimeFactor: 0.25, transcriptDelayMs: 500, firstAudioDelayMs: 100 },
      billing,
    );
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'reply_rerouted')).toBe(true));
    await vi.waitFor(() => expect(server.serverEvents('response.done')).toHaveLength(2), { timeout: 5_000 });
    const stale = server.serverEvents('response.done')[0]!.response as { status: string; output: Array<{ id: string }> };
    const staleItem = stale.output[0]!.id;
    expect(stale.status).toBe('cancelled');
    expect(yielded.some((c) => c.itemId === staleItem)).toBe(true);
    expect(controlEventsAfterCommit(server)).toEqual(['response.cancel', 'session.update', 'conversation.item.delete', 'response.create']);
    expect(server.clientEvents('conversation.item.delete')).toEqual([{ type: 'conversation.item.delete', item_id: staleItem }]);
    expect(events.find((e) => e.type === 'reply_rerouted')).toMatchObject({ carrierCleared: true, truncations: [], deletedItemIds: [staleItem] });
    expect(playback.clears).toHaveLength(1);
    expect(server.serverEvents('error')).toEqual([]);
  });

  it('barges in: clear, cancel of the response in flight, truncate at the played position, late deltas dropped', async () => {
    const { server, service, playback, events, input, yielded } = await start(
      { greeting: { durationMs: 5000 }, turns: [{ userTranscript: 'Stop', reply: { durationMs: 200 } }] },
      { realtimeFactor: 1, deltasAfterCancel: 3 },
    );
    service.greet();
    await vi.waitFor(() => expect(samplesOf(yielded)).toBeGreaterThanOrEqual(600 * 24));
    const itemId = yielded[0]!.itemId;
    playback.setPlayed(itemId, 240);
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'barge_in')).toBe(true));
    const yieldedAtBargeIn = samplesOf(yielded, itemId);
    await vi.waitFor(() =>
      expect(server.serverEvents('response.done').map((e) => (e.response as { status: string }).status)).toContain('cancelled'),
    );
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'response_done')).toHaveLength(2));

    expect(playback.clears).toHaveLength(1);
    expect(server.clientEvents('response.cancel')).toHaveLength(1);
    expect(server.clientEvents('conversation.item.truncate')).toEqual([
      { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 240 },
    ]);
    expect(events.find((e) => e.type === 'barge_in')).toMatchObject({
      cancelledResponseId: expect.any(String),
      truncations: [{ itemId, audioEndMs: 240 }],
    });
    // The server kept streaming after the cancel arrived; none of it reached the carrier.
    const cancelSeq = server.timeline().find((r) => r.event.type === 'response.cancel')!.seq;
    const lateDeltas = server.timeline().filter((r) => r.seq > cancelSeq && r.event.type === 'response.output_audio.delta' && r.event.item_id === itemId);
    expect(lateDeltas.length).toBe(3);
    expect(samplesOf(yielded, itemId)).toBe(yieldedAtBargeIn);
    expect(server.serverEvents('error')).toEqual([]);
  });

  it('does not cancel a response that is no longer in flight, but still clears and truncates', async () => {
    const { server, service, playback, events, input, yielded } = await start({
      greeting: { durationMs: 1000 },
      turns: [{ userTranscript: 'Wait', reply: { durationMs: 200 } }],
    });
    service.greet();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'response_done')).toBe(true));
    await vi.waitFor(() => expect(samplesOf(yielded)).toBe(1000 * 24));
    const itemId = yielded[0]!.itemId;
    playback.setPlayed(itemId, 730);
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'barge_in')).toBe(true));
    await server.waitForServerEvent('conversation.item.truncated');
    expect(playback.clears).toHaveLength(1);
    expect(server.clientEvents('response.cancel')).toEqual([]);
    expect(server.clientEvents('conversation.item.truncate')).toEqual([
      { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 730 },
    ]);
    expect(events.find((e) => e.type === 'barge_in')).toMatchObject({ cancelledResponseId: undefined });
    expect(server.serverEvents('error')).toEqual([]);
  });

  it('does nothing when the caller speaks while the bot is silent', async () => {
    const { server, playback, events, input, orchestrator } = await start({ turns: [{ userTranscript: 'Hello?', reply: { durationMs: 200 } }] });
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(orchestrator.invocations).toHaveLength(1));
    expect(events.find((e) => e.type === 'speech_started')).toMatchObject({ audible: false });
    expect(events.some((e) => e.type === 'barge_in')).toBe(false);
    expect(playback.clears).toEqual([]);
    expect(server.clientEvents('response.cancel')).toEqual([]);
    expect(server.clientEvents('conversation.item.truncate')).toEqual([]);
  });

  it('barges in on a reply in flight before its first audio: clear, cancel, no truncate, its item deleted once done', async () => {
    const { server, service, playback, events, input, yielded } = await start(
      { greeting: { transcript: 'Welcome to Acme, how can I help you today?', durationMs: 2000 }, turns: [{ userTranscript: 'Hello?', reply: { durationMs: 200 } }] },
      { firstAudioDelayMs: 1_000, realtimeFactor: 0.25 },
    );
    service.greet();
    await server.waitForServerEvent('response.created');
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'barge_in')).toBe(true));
    await vi.waitFor(() => expect(server.clientEvents('conversation.item.delete')).toHaveLength(1));
    const greeting = server.serverEvents('response.done')[0]!.response as { id: string; status: string; output: Array<{ id: string }> };
    const greetingItem = greeting.output[0]!.id;
    expect(greeting.status).toBe('cancelled');
    expect(events.find((e) => e.type === 'speech_started')).toMatchObject({ audible: false });
    expect(events.find((e) => e.type === 'barge_in')).toMatchObject({ cancelledResponseId: greeting.id, truncations: [], deletedItemIds: [greetingItem] });
    expect(playback.clears).toEqual([[]]);
    const sent = server.timeline().filter((r) => r.direction === 'client' && !isBackground(r.event.type)).map((r) => r.event);
    expect(sent.map((e) => e.type)).toEqual(['session.update', 'response.create', 'response.cancel', 'conversation.item.delete']);
    expect(sent[3]).toEqual({ type: 'conversation.item.delete', item_id: greetingItem });
    expect(server.generatedMs(greetingItem)).toBe(0);
    expect(yielded.some((c) => c.itemId === greetingItem)).toBe(false);
    expect(server.serverEvents('error')).toEqual([]);
  });

  it('barges in on a reply generated slower than real time while every mark was echoed: truncate at what was heard', async () => {
    const { server, service, events, input, yielded, playback } = await start(
      { greeting: { durationMs: 4000 }, turns: [{ userTranscript: 'Hello?', reply: { durationMs: 200 } }] },
      { realtimeFactor: 2, chunkMs: 100 },
      new TestOrchestrator(),
      { playsInstantly: true },
    );
    service.greet();
    await vi.waitFor(() => expect(samplesOf(yielded)).toBeGreaterThanOrEqual(300 * 24));
    expect(playback.isAudible()).toBe(false);
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'barge_in')).toBe(true));
    const greetingItem = yielded[0]!.itemId;
    const heardMs = samplesOf(yielded, greetingItem) / 24;
    await server.waitForServerEvent('conversation.item.truncated');
    const greeting = server.serverEvents('response.done')[0]!.response as { id: string; status: string; output: Array<{ id: string }> };
    expect(greeting.output[0]!.id).toBe(greetingItem);
    expect(greeting.status).toBe('cancelled');
    expect(playback.clears).toHaveLength(1);
    expect(server.clientEvents('response.cancel')).toHaveLength(1);
    expect(server.clientEvents('conversation.item.truncate')).toEqual([
      { type: 'conversation.item.truncate', item_id: greetingItem, content_index: 0, audio_end_ms: heardMs },
    ]);
    expect(events.find((e) => e.type === 'barge_in')).toMatchObject({
      cancelledResponseId: greeting.id,
      truncations: [{ itemId: greetingItem, audioEndMs: heardMs }],
      deletedItemIds: [],
    });
    // Never more than was generated, and nothing of the reply reached the carrier after the barge-in.
    expect(heardMs).toBeLessThanOrEqual(server.generatedMs(greetingItem));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(samplesOf(yielded, greetingItem) / 24).toBe(heardMs);
    expect(server.serverEvents('error')).toEqual([]);
  });

  it('keeps streaming while orchestrator runs are still pending (never awaited)', async () => {
    const orchestrator = new TestOrchestrator(() => undefined, { hold: true });
    const { input, yielded, events } = await start(
      {
        turns: [
          { userTranscript: 'First', reply: { durationMs: 300 } },
          { userTranscript: 'Second', reply: { durationMs: 300 } },
        ],
      },
      {},
      orchestrator,
    );
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'response_done')).toHaveLength(1));
    input.push(concatPcm(silence(1000), UTTERANCE));
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'response_done')).toHaveLength(2));
    await vi.waitFor(() => expect(samplesOf(yielded)).toBe(600 * 24));
    expect(orchestrator.invocations.map((i) => i.transcript)).toEqual(['First', 'Second']);
    orchestrator.release();
  });

  it('closes without leaving a socket or a timer behind, and ends the output stream', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const harness = await start({ greeting: { durationMs: 3000 } }, { realtimeFactor: 1 });
    harness.service.greet();
    await vi.waitFor(() => expect(harness.yielded.length).toBeGreaterThan(0));
    await harness.service.close();
    await harness.service.close();
    await harness.consumer;
    await vi.waitFor(() => expect(harness.server.openConnections).toBe(0));
    expect(harness.events.filter((e) => e.type === 'closed')).toEqual([{ type: 'closed', reason: 'closed' }]);
    await harness.server.close();
    h = undefined;
    await vi.waitFor(() => {
      const after = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      const count = (list: string[], name: string) => list.filter((r) => r === name).length;
      for (const name of new Set(after)) expect({ name, n: count(after, name) }).toEqual({ name, n: Math.min(count(after, name), count(before, name)) });
    });
  });

  it('ends the output and reports a remote close when the Realtime side hangs up', async () => {
    const { server, events, consumer } = await start({});
    server.dropConnections();
    await consumer;
    expect(events.filter((e) => e.type === 'closed')).toEqual([{ type: 'closed', reason: 'remote' }]);
  });
});

/** Type-level guard: the wire events the tests read stay plain JSON objects. */
export type { WireEvent };
