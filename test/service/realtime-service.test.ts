import { afterEach, describe, expect, it, vi } from 'vitest';
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
} from '../fakes/realtime-server.js';
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
  ): Promise<Harness> {
    const server = await RealtimeFakeServer.start({ script, ...serverOptions });
    const playback = new FakePlayback();
    const config: ServiceConfig = {
      name: 'receptionist',
      initialInstruction: 'Greet callers.',
      modelSettings: { model: 'gpt-realtime', voice: 'marin' },
      agentType: 'realtime',
      url: server.url,
      greeting: 'Say: welcome to Acme.',
    };
    const service = new RealtimeService(config, orchestrator, { playback, logger: createLogger('silent'), callSid: 'CA123' });
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

  it('applies an instruction update mid-response with one session.update, no cancel, no clear, no truncate', async () => {
    const orchestrator = new TestOrchestrator((input) => ({
      intent: 'billing',
      confidence: 0.9,
      agent: 'billing',
      instruction_update: `You handle billing. Caller said: ${input.transcript}`,
    }));
    const { server, service, playback, events, input, yielded } = await start(
      { greeting: { durationMs: 3000 }, turns: [{ userTranscript: 'I have a billing question', reply: { durationMs: 200 } }] },
      { realtimeFactor: 0.25 },
      orchestrator,
    );
    // The carrier confirms everything as played at once, so the bot is never audible and the speech is no barge-in.
    const greetingDone = server.waitForServerEvent('response.done', 10_000);
    service.greet();
    await vi.waitFor(() => expect(yielded.length).toBeGreaterThan(0));
    playback.setPlayed(yielded[0]!.itemId, 1e9);
    input.push(UTTERANCE);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'instructions_updated')).toBe(true));
    const greeting = await greetingDone;

    const updates = server.clientEvents('session.update');
    expect(updates).toHaveLength(2);
    const update = updates[1]!.session as { instructions: string; audio: { input: { format: unknown }; output: { format: unknown } } };
    expect(update.instructions).toBe('You handle billing. Caller said: I have a billing question');
    expect(update.audio.input.format).toEqual(PCM_24K);
    expect(update.audio.output.format).toEqual(PCM_24K);
    // The update landed while the greeting was still being generated, and the greeting finished normally.
    const timeline = server.timeline();
    const updateSeq = timeline.find((r) => r.event === updates[1])!.seq;
    const doneSeq = timeline.find((r) => r.event === greeting)!.seq;
    expect(updateSeq).toBeLessThan(doneSeq);
    expect((greeting.response as { status: string }).status).toBe('completed');
    expect(server.clientEvents('response.cancel')).toEqual([]);
    expect(server.clientEvents('conversation.item.truncate')).toEqual([]);
    expect(playback.clears).toEqual([]);
    expect(orchestrator.invocations).toEqual([
      { callSid: 'CA123', transcript: 'I have a billing question', itemId: expect.any(String), agentType: 'realtime' },
    ]);
    expect(service.instruction).toBe(update.instructions);
    expect(server.totalConnections).toBe(1);
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
