/**
 * Same-turn section of `npm run bench` (`--section same-turn`): does the new specialist answer the caller's turn that
 * revealed the intent, and what does that cost? Whole calls through the production pieces on loopback: the real
 * server (`createVoiceBot`, keyword classifier in the intent worker), the Realtime fake with production timing
 * (transcript 300–700 ms after the commit, first audio 600–1200 ms after the reply is created, audio generated four
 * times faster than real time, varied over a grid per turn), and the simulated Twilio caller in real time, which
 * plays the bot's audio at 8 bytes/ms and echoes marks when played.
 *
 * Per call: greeting, then a small-talk turn (no switch), a billing turn (switch), "okay, thank you" (no switch) and
 * a cancellation turn (switch). For each turn: commit (the service's `speech_stopped`) → first bot audio heard by
 * the caller. Added delay = median over switching turns − median over turns without a switch. A switching turn is
 * "answered by the specialist" when the first audio the caller heard after it belongs to a response created after
 * the specialist's `session.update`. A cut-off is an item the caller heard part of that was then cleared or deleted.
 * Also the in-flight barge-in: the caller speaks again before the reply's first audio; from the fake's
 * `speech_started` to its receipt of `response.cancel`, and to the `clear` arriving at the caller.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { muLawEncode } from '../../src/audio/mulaw.js';
import { loadConfig } from '../../src/config.js';
import { loadAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot } from '../../src/server.js';
import type { ServiceEvent } from '../../src/service/service-events.js';
import { buildSyntheticCall, type CallStep } from '../../src/fixtures/synthetic-call.js';
import { RealtimeFakeServer, type FakeTurnScript, type RecordedEvent } from '../../fakes/realtime-server.js';
import { networkTransport } from '../sim-caller/network-transport.js';
import { runSimulatedCall, type SimCallResult } from '../sim-caller/sim-caller.js';
import { quantile } from './measure.js';

const PUBLIC_BASE_URL = 'https://bench.invalid';
const AUTH_TOKEN = 'be0cbe0cbe0cbe0cbe0cbe0cbe0cbe0c';
const LEAD_IN_MS = 3_000;
const PAUSE_MS = 4_500;

/** The caller's turns; `to` is the agent a switching turn must be answered by. */
const TURNS: readonly { readonly text: string; readonly to?: string }[] = [
  { text: 'Hello! Hi, how are you doing today?' },
  { text: 'I have a question about my bill. I was charged twice this month.', to: 'billing' },
  { text: 'Okay, thank you.' },
  { text: 'Actually, I want to cancel my internet service.', to: 'retention' },
];

/** A caller's speech stand-in the fake's energy VAD hears: a tone as 8 kHz μ-law. */
function speech(ms: number): Uint8Array {
  const pcm = new Int16Array(ms * 8);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8_000 * Math.sin((2 * Math.PI * 300 * i) / 8_000));
  return muLawEncode(pcm);
}

/** Transcript and first-audio delays for turn `k` of call `c`, spread over the production ranges. */
function timing(c: number, k: number): { transcriptDelayMs: number; firstAudioDelayMs: number } {
  return { transcriptDelayMs: 300 + ((c * 3 + k) % 5) * 100, firstAudioDelayMs: 600 + ((c * 5 + k * 3) % 7) * 100 };
}

/** One turn's outcome. */
export interface TurnSample {
  readonly switching: boolean;
  /** Commit → first bot audio heard, call-time ms (undefined when nothing was heard before the next turn). */
  readonly latencyMs: number | undefined;
  /** For a switching turn: the first audio heard came from a response created after the specialist's update. */
  readonly bySpecialist: boolean;
  /** For a switching turn: the caller had heard none of the turn's reply when the switch was applied. */
  readonly landedBeforeHeard: boolean;
  readonly transcriptDelayMs: number;
  readonly firstAudioDelayMs: number;
}

/** The measured figures. */
export interface SameTurnReport {
  readonly kind: 'same-turn';
  readonly title: string;
  readonly text: string;
  readonly switchingTurns: number;
  readonly landedBeforeHeard: number;
  readonly answeredBySpecialist: number;
  readonly addedDelayP50Ms: number;
  readonly switchLatencyP50Ms: number;
  readonly switchLatencyMaxMs: number;
  readonly plainLatencyP50Ms: number;
  readonly cutOffs: number;
  readonly bargeInCancelMs: readonly number[];
  readonly bargeInClearMs: readonly number[];
}

interface CallRun {
  readonly result: SimCallResult;
  readonly fake: RealtimeFakeServer;
  /** Service events in call time. */
  readonly events: Array<{ readonly atMs: number; readonly event: ServiceEvent }>;
  /** performance.now() at call time 0. */
  readonly t0: number;
}

async function runCall(c: number, steps: readonly CallStep[], turns: FakeTurnScript[], expectBargeIn: boolean): Promise<CallRun> {
  const fake = await RealtimeFakeServer.start({
    script: { greeting: { transcript: 'Thanks for calling.', durationMs: 1_500, firstAudioDelayMs: 700 }, turns },
    realtimeFactor: 0.25,
  });
  const callSid = `CAbenchsameturn${String(c).padStart(4, '0')}`;
  const events: Array<{ atMs: number; event: ServiceEvent }> = [];
  let t0 = performance.now();
  const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', LOG_LEVEL: 'silent' });
  const bot = await createVoiceBot(config, {
    logger: createLogger('silent'),
    store: createMemoryCheckpointer(),
    onServiceEvent: (sid, event) => {
      if (sid === callSid) events.push({ atMs: performance.now() - t0, event });
    },
  });
  try {
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = bot.app.server.address() as AddressInfo;
    const fixture = buildSyntheticCall({
      name: `same-turn-${c}`,
      description: 'bench',
      expect: {},
      firstTimestampMs: 52,
      accountSid: 'AC00000000000000000000000000000001',
      callSid,
      streamSid: `MZbenchsameturn${String(c).padStart(4, '0')}`,
      customParameters: {},
      steps,
    });
    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${port}` }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      callSid,
      speed: 1,
      onLog: (entry) => {
        if (entry.text.startsWith('media stream open')) t0 = performance.now() - entry.atMs;
      },
    });
    if (expectBargeIn && result.clears.length === 0) throw new Error('the barge-in call produced no clear');
    return { result, fake, events, t0 };
  } finally {
    await bot.close();
  }
}

/** Item id of a mark name `generation:itemId:endMs`. */
const markItem = (name: string): string => name.split(':')[1] ?? '';

function analyseCall(run: CallRun, c: number, specialistMarker: ReadonlyMap<string, string>): { turns: TurnSample[]; cutOffs: number } {
  const { result, fake, events } = run;
  const timeline = fake.timeline();
  const createdSeqOfItem = new Map<string, number>();
  const responseCreatedSeq = new Map<string, number>();
  for (const r of timeline) {
    if (r.event.type === 'response.created') responseCreatedSeq.set(String((r.event.response as { id: string }).id), r.seq);
    if (r.event.type === 'response.output_item.added') {
      createdSeqOfItem.set(String((r.event.item as { id: string }).id), responseCreatedSeq.get(String(r.event.response_id)) ?? -1);
    }
  }
  const commits = events.filter((e) => e.event.type === 'speech_stopped').map((e) => e.atMs);
  const heardMarks = result.marks.filter((m) => m.echoedAtMs !== undefined && !m.flushed);
  const turns: TurnSample[] = TURNS.map((turn, k) => {
    const commitAt = commits[k] ?? Number.NaN;
    const nextCommit = commits[k + 1] ?? Number.POSITIVE_INFINITY;
    const firstSegment = result.playback.segments.find((s) => s.bytes.length > 0 && s.startMs >= commitAt && s.startMs < nextCommit);
    const latencyMs = firstSegment === undefined ? undefined : firstSegment.startMs - commitAt;
    let bySpecialist = false;
    let landedBeforeHeard = false;
    if (turn.to !== undefined) {
      const marker = specialistMarker.get(turn.to) ?? '\u0000';
      const update = timeline.find((r: RecordedEvent) => r.event.type === 'session.update' && ((r.event.session as { instructions?: string }).instructions ?? '').includes(marker));
      const firstHeard = heardMarks.find((m) => m.dueAtMs >= commitAt && m.dueAtMs < nextCommit);
      bySpecialist = update !== undefined && firstHeard !== undefined && (createdSeqOfItem.get(markItem(firstHeard.name)) ?? -1) > update.seq;
      const appliedAt = events.find((e) => e.atMs >= commitAt && e.event.type === 'instructions_updated')?.atMs ?? Number.POSITIVE_INFINITY;
      landedBeforeHeard = !heardMarks.some((m) => m.dueAtMs >= commitAt && (m.echoedAtMs ?? 0) < appliedAt);
    }
    return { switching: turn.to !== undefined, latencyMs, bySpecialist, landedBeforeHeard, ...timing(c, k) };
  });
  // Heard and then cut: an item with a played mark that also lost audio to a clear, or was deleted.
  const deleted = new Set(fake.clientEvents('conversation.item.delete').map((e) => String(e.item_id)));
  const flushedItems = new Set(result.marks.filter((m) => m.flushed).map((m) => markItem(m.name)));
  const heardItems = new Set(heardMarks.map((m) => markItem(m.name)));
  const cutOffs = [...heardItems].filter((item) => deleted.has(item) || flushedItems.has(item)).length;
  return { turns, cutOffs };
}

/** One call whose caller speaks again 300 ms after the turn ended, before the reply's first audio (1100 ms). */
async function measureInFlightBargeIn(c: number): Promise<{ cancelMs: number; clearMs: number }> {
  const steps: CallStep[] = [
    { kind: 'silence', ms: LEAD_IN_MS },
    { kind: 'speech', transcript: 'My internet is down since this morning.', audio: speech(1_500) },
    { kind: 'silence', ms: 800 },
    { kind: 'speech', transcript: 'Actually it is the TV box.', audio: speech(1_200) },
    { kind: 'silence', ms: 3_000 },
  ];
  const turns: FakeTurnScript[] = [
    { userTranscript: 'My internet is down since this morning.', reply: { durationMs: 1_500 }, transcriptDelayMs: 600, firstAudioDelayMs: 1_100 },
    { userTranscript: 'Actually it is the TV box.', reply: { durationMs: 800 }, transcriptDelayMs: 400, firstAudioDelayMs: 800 },
  ];
  const run = await runCall(c, steps, turns, true);
  try {
    const timeline = run.fake.timeline();
    const started = timeline.filter((r) => r.event.type === 'input_audio_buffer.speech_started')[1];
    const cancel = timeline.find((r) => r.event.type === 'response.cancel' && r.seq > (started?.seq ?? Infinity));
    const clear = run.result.clears.find((cl) => cl.atMs + run.t0 >= (started?.atMs ?? Infinity));
    if (started === undefined || cancel === undefined || clear === undefined) throw new Error('in-flight barge-in: no speech_started, cancel or clear');
    return { cancelMs: cancel.atMs - started.atMs, clearMs: clear.atMs + run.t0 - started.atMs };
  } finally {
    await run.fake.close();
  }
}

/** Runs `calls` calls concurrently (plus two in-flight barge-in calls) and renders the table. */
export async function runSameTurnBench(calls = 8): Promise<SameTurnReport> {
  const catalogue = await loadAgentCatalogue();
  const runs = await Promise.all(
    Array.from({ length: calls }, async (_, c) => {
      const steps: CallStep[] = [{ kind: 'silence', ms: LEAD_IN_MS }];
      const turns: FakeTurnScript[] = TURNS.map((turn, k) => {
        steps.push({ kind: 'speech', transcript: turn.text, audio: speech(1_400) }, { kind: 'silence', ms: PAUSE_MS });
        return { userTranscript: turn.text, reply: { transcript: 'Okay.', durationMs: 1_500 }, ...timing(c, k) };
      });
      const run = await runCall(c, steps, turns, false);
      try {
        return analyseCallFor(run, c, catalogue);
      } finally {
        await run.fake.close();
      }
    }),
  );
  const bargeIns = await Promise.all([measureInFlightBargeIn(calls), measureInFlightBargeIn(calls + 1)]);
  const samples = runs.flatMap((r) => r.turns);
  const switching = samples.filter((s) => s.switching);
  const plain = samples.filter((s) => !s.switching);
  const landed = switching.filter((s) => s.landedBeforeHeard);
  const answered = landed.filter((s) => s.bySpecialist);
  const switchLatencies = switching.flatMap((s) => (s.latencyMs === undefined ? [] : [s.latencyMs]));
  const plainLatencies = plain.flatMap((s) => (s.latencyMs === undefined ? [] : [s.latencyMs]));
  const cutOffs = runs.reduce((n, r) => n + r.cutOffs, 0);
  const switchP50 = quantile(switchLatencies, 0.5);
  const plainP50 = quantile(plainLatencies, 0.5);
  const pct = (n: number, of: number): string => (of === 0 ? 'n/a' : `${((100 * n) / of).toFixed(0)} %`);
  const text = [
    '| measure | value |',
    '|---|---|',
    `| switching turns (switch landed before any of the reply was heard) | ${switching.length} (${landed.length}) |`,
    `| answered by the new specialist, of those that landed before audio was heard | ${answered.length}/${landed.length} = ${pct(answered.length, landed.length)} |`,
    `| commit -> first audio heard, switching turns: p50 / max ms | ${switchP50.toFixed(0)} / ${Math.max(...switchLatencies).toFixed(0)} |`,
    `| commit -> first audio heard, turns without a switch: p50 / max ms | ${plainP50.toFixed(0)} / ${Math.max(...plainLatencies).toFixed(0)} |`,
    `| added delay of a same-turn switch (p50 difference) ms | ${(switchP50 - plainP50).toFixed(0)} |`,
    `| cut-offs of audio the caller had heard | ${cutOffs} of ${samples.length} turns = ${pct(cutOffs, samples.length)} |`,
    `| in-flight barge-in: speech_started -> response.cancel at the model, ms | ${bargeIns.map((b) => b.cancelMs.toFixed(1)).join(', ')} |`,
    `| in-flight barge-in: speech_started -> clear at the caller, ms | ${bargeIns.map((b) => b.clearMs.toFixed(1)).join(', ')} |`,
    `  ${calls} calls in real time on loopback, concurrently; model timing per turn: transcript 300-700 ms after the commit, first audio 600-1200 ms, generation 4x real time; keyword classifier in the intent worker`,
    '  targets: 100 % answered by the specialist, <= 800 ms added, 0 cut-offs',
  ].join('\n');
  return {
    kind: 'same-turn',
    title: 'Same-turn specialist: who answers the turn that revealed the intent, and at what cost',
    text,
    switchingTurns: switching.length,
    landedBeforeHeard: landed.length,
    answeredBySpecialist: answered.length,
    addedDelayP50Ms: switchP50 - plainP50,
    switchLatencyP50Ms: switchP50,
    switchLatencyMaxMs: Math.max(...switchLatencies),
    plainLatencyP50Ms: plainP50,
    cutOffs,
    bargeInCancelMs: bargeIns.map((b) => b.cancelMs),
    bargeInClearMs: bargeIns.map((b) => b.clearMs),
  };
}

/** The specialist's `session.update` is recognised by the agent's own instructions inside it. */
function analyseCallFor(run: CallRun, c: number, catalogue: Awaited<ReturnType<typeof loadAgentCatalogue>>): { turns: TurnSample[]; cutOffs: number } {
  const marker = new Map(TURNS.flatMap((t) => (t.to === undefined ? [] : [[t.to, catalogue.agentsByName.get(t.to)?.instructions.trim().slice(0, 60) ?? ''] as const])));
  return analyseCall(run, c, marker);
}
