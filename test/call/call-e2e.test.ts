import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { runSimulatedCall } from '../../scripts/sim-caller/sim-caller.js';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { loadAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { buildInstructions } from '../../src/domain/instructions.js';
import { readFixture } from '../../src/fixtures/call-fixture.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { REALTIME_AUDIO_FORMATS, serviceSamplesPerMs, type RealtimeAudioFormatName } from '../../src/audio/audio-format.js';
import { FRAME_MS } from '../../src/audio/constants.js';
import { appendedSamples } from '../fakes/appended-audio.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2';
const FIXTURES = path.resolve('test/fixtures/calls');

interface Running {
  readonly bot: VoiceBot;
  readonly fake: RealtimeFakeServer;
  readonly localUrl: string;
  readonly ended: CallSummary[];
}

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.bot.close();
    await r.fake.close();
  }
});

/** The real server on loopback (a remote close must reach it), with the Realtime fake answering. */
async function start(fakeOptions: Parameters<typeof RealtimeFakeServer.start>[0], format: RealtimeAudioFormatName, env: Record<string, string> = {}): Promise<Running> {
  const fake = await RealtimeFakeServer.start(fakeOptions);
  const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', REALTIME_AUDIO_FORMAT: format, ...env });
  const ended: CallSummary[] = [];
  const bot = await createVoiceBot(config, {
    logger: createLogger('silent'),
    store: createMemoryCheckpointer(),
    recordStore: await createMemoryCallRecordStore(),
    onCallEnded: (summary) => ended.push(summary),
  });
  await bot.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = bot.app.server.address() as AddressInfo;
  const r = { bot, fake, localUrl: `http://127.0.0.1:${port}`, ended };
  running.push(r);
  return r;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(REALTIME_AUDIO_FORMATS)('a whole call: simulated Twilio caller ⇄ server ⇄ Realtime fake, REALTIME_AUDIO_FORMAT=%s', (format) => {
  it('greets first, streams caller audio as appends in the wire format, answers the billing turn as billing, and tears down', async () => {
    const fixture = await readFixture(path.join(FIXTURES, 'intent-change-billing-then-cancel.jsonl'));
    const turns = fixture.header.utterances.map((u, i) => ({ userTranscript: u.transcript, reply: { transcript: `Reply ${i + 1}.`, durationMs: 400 } }));
    // Production timing: the transcript (and so the switch) comes 300 ms after the commit, the reply's audio 600 ms.
    const r = await start({
      script: { greeting: { transcript: 'Thanks for calling Northwind Fiber.', durationMs: 300 }, turns },
      transcriptDelayMs: 300,
      firstAudioDelayMs: 600,
      realtimeFactor: 0.25,
    }, format);

    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: r.localUrl }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      // Faster than real time, but slow enough that the model's latencies (real milliseconds) stay inside the pauses
      // between the caller's sentences: a reply still starting when the caller speaks again would rightly be cut.
      speed: 1.5,
    });
    expect(result.violations).toEqual([]);
    await waitFor(() => r.ended.length === 1 && r.fake.openConnections === 0);

    // The bot speaks first: the first response.create precedes any caller transcription.
    const timeline = r.fake.timeline();
    const firstCreate = timeline.findIndex((e) => e.direction === 'client' && e.event.type === 'response.create');
    const firstTranscript = timeline.findIndex((e) => e.event.type === 'conversation.item.input_audio_transcription.completed');
    expect(firstCreate).toBeGreaterThanOrEqual(0);
    expect(firstCreate).toBeLessThan(firstTranscript);
    expect(result.botAudioMs).toBeGreaterThan(300 + 3 * 400 - 100);

    // Every inbound 20 ms frame became one frame of the wire format (160 μ-law samples at 8 kHz, or 480 PCM16 samples
    // at 24 kHz). The last few frames before Twilio's stop may still be queued when the call tears down (the caller
    // is gone), so the count may fall short by those alone.
    const frameSamples = FRAME_MS * serviceSamplesPerMs(format);
    const frames = fixture.lines.filter((l) => l.dir === 'in' && l.msg.event === 'media').length;
    const appended = appendedSamples(format, r.fake.clientEvents('input_audio_buffer.append'));
    expect(appended).toBeGreaterThan((frames - 10) * frameSamples);
    expect(appended % frameSamples).toBe(0);
    expect(appended).toBeLessThanOrEqual(frames * frameSamples);
    // Every session.update asked for the configured format both ways.
    const expectedFormat = format === 'pcmu' ? { type: 'audio/pcmu' } : { type: 'audio/pcm', rate: 24_000 };
    for (const update of r.fake.clientEvents('session.update')) {
      const audio = (update.session as { audio: { input: { format: unknown }; output: { format: unknown } } }).audio;
      expect([audio.input.format, audio.output.format]).toEqual([expectedFormat, expectedFormat]);
    }

    // The intent change reaches the live session as a session.update carrying the specialist's instructions.
    const catalogue = await loadAgentCatalogue();
    const updates = r.fake.clientEvents('session.update').map((e) => (e.session as { instructions?: string } | undefined)?.instructions);
    const billing = updates.findIndex((text) => text?.includes(buildInstructions(catalogue, 'billing').slice(0, 200)) ?? false);
    expect(billing).toBeGreaterThan(0);
    expect(r.ended[0]?.agentChanges).toEqual(fixture.header.expect.agents);
    // Each switch landed before the caller heard the reply to that turn, so the reply was re-routed: cancelled, its
    // item deleted, and asked again after the specialist's session.update. The caller heard nothing of it.
    expect(r.ended[0]?.reroutes).toBe(2);
    const cancelled = r.fake
      .serverEvents('response.done')
      .map((e) => e.response as { status: string; output: Array<{ id: string }> })
      .filter((response) => response.status === 'cancelled')
      .flatMap((response) => response.output.map((item) => item.id));
    expect(cancelled).toHaveLength(2);
    expect(r.fake.clientEvents('conversation.item.delete').map((e) => e.item_id)).toEqual(cancelled);
    const updateAt = timeline.findIndex(
      (e) => e.direction === 'client' && e.event.type === 'session.update' && (e.event.session as { instructions?: string }).instructions === updates[billing],
    );
    // Within the billing turn (after its commit): cancel, then the update, then the new response.create.
    const commitAt = timeline.slice(0, updateAt).findLastIndex((e) => e.event.type === 'input_audio_buffer.committed');
    const cancelAt = timeline.slice(0, updateAt).findLastIndex((e) => e.event.type === 'response.cancel');
    const createAt = timeline.findIndex((e, i) => i > updateAt && e.direction === 'client' && e.event.type === 'response.create');
    expect(cancelAt).toBeGreaterThan(commitAt);
    expect(createAt).toBeGreaterThan(updateAt);
    const heard = result.marks.filter((m) => cancelled.includes(m.name.split(':')[1] ?? '') && m.echoedAtMs !== undefined && !m.flushed);
    expect(heard).toEqual([]);
    expect(result.clears).toHaveLength(r.ended[0]?.clears ?? -1);
    expect(r.ended[0]?.bargeIns).toBe(0);

    // Twilio's stop closed the Realtime side; nothing is left open.
    expect(r.ended[0]?.reason).toBe('twilio_stop');
    expect(r.bot.calls.activeCalls).toBe(0);
    expect(r.bot.calls.prewarmedSessions).toBe(0);
    expect(r.fake.totalConnections).toBe(1);
  });

  it('barges in: clears Twilio and truncates the reply at the position the caller\'s mark echoes confirmed', async () => {
    const fixture = await readFixture(path.join(FIXTURES, 'barge-in-during-reply.jsonl'));
    const [first, second] = fixture.header.utterances;
    const r = await start({
      script: {
        greeting: { transcript: 'Hello.', durationMs: 300 },
        turns: [
          // Long enough that the caller's second sentence starts while this reply is still playing.
          { userTranscript: first?.transcript ?? '', reply: { transcript: 'Let me look into that for you.', durationMs: 4_000 } },
          { userTranscript: second?.transcript ?? '', reply: { transcript: 'Understood.', durationMs: 400 } },
        ],
      },
    }, format);
    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: r.localUrl }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      // Real time: the window the truncate must fall in is one 80 ms chunk, so call time must not be scaled.
      speed: 1,
    });
    await waitFor(() => r.ended.length === 1 && r.fake.openConnections === 0);

    // The caller may also have talked over the short greeting (that is a barge-in too); the reply's is the last.
    expect(result.clears.length).toBeGreaterThanOrEqual(1);
    expect(r.ended[0]?.clears).toBe(result.clears.length);
    expect(r.ended[0]?.bargeIns).toBeGreaterThanOrEqual(1);
    const truncates = r.fake.clientEvents('conversation.item.truncate').map((e) => ({ itemId: String(e.item_id), audioEndMs: Number(e.audio_end_ms) }));
    expect(truncates.length).toBeGreaterThanOrEqual(1);
    // Marks are named generation:item:endMs. For each truncated item, what the caller really heard when the clear
    // came lies between the last of its marks that played (echoed, not flushed) and the first one the clear
    // flushed. The truncate must fall in that window, less a little for an echo still in flight on loopback.
    const position = (name: string): number => Number(name.split(':')[2]);
    const marksOf = (itemId: string) => result.marks.filter((m) => m.name.split(':')[1] === itemId);
    for (const t of truncates) {
      const played = marksOf(t.itemId).filter((m) => !m.flushed && m.echoedAtMs !== undefined).map((m) => position(m.name));
      const flushed = marksOf(t.itemId).filter((m) => m.flushed).map((m) => position(m.name));
      const lower = Math.max(0, ...played);
      const upper = flushed.length > 0 ? Math.min(...flushed) : lower;
      expect(t.audioEndMs).toBeGreaterThanOrEqual(lower - 20);
      expect(t.audioEndMs).toBeLessThanOrEqual(Math.ceil(upper));
    }
    expect(Math.max(...truncates.map((t) => t.audioEndMs))).toBeGreaterThan(0);
    // No truncate was rejected by the server, and the clear flushed the rest of the reply the caller had queued.
    expect(r.fake.serverEvents('error')).toEqual([]);
    expect(result.clears.at(-1)?.flushedMs).toBeGreaterThan(0);
  });

  it('ends the Twilio stream when the Realtime side drops and no reconnect is allowed, so Twilio fetches the fallback TwiML', async () => {
    const fixture = await readFixture(path.join(FIXTURES, 'long-silence.jsonl'));
    // Reconnects are covered in realtime-reconnect.test.ts; this is the path once none is left.
    const r = await start({ script: { greeting: { transcript: 'Hello.', durationMs: 300 } } }, format, { REALTIME_MAX_RECONNECTS: '0' });
    const call = runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: r.localUrl }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      speed: 4,
    });
    await waitFor(() => r.fake.clientEvents('input_audio_buffer.append').length > 20);
    r.fake.dropConnections(1011);
    const result = await call;
    expect(result.endedBy).toBe('server');
    expect(result.actionResponse?.status).toBe(200);
    expect(result.actionResponse?.body).toContain('<Hangup/>');
    await waitFor(() => r.ended.length === 1);
    expect(r.ended[0]?.reason).toBe('realtime_closed');
    expect(r.bot.calls.activeCalls).toBe(0);
  });
});
