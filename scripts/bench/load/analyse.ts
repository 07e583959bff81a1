/**
 * Turns one rung's caller and fake records into latencies and losses, matching calls by the tag in their first
 * frames. Inbound: frame k of a call ↔ the append that carried its 20 ms, entry k - firstFrame of its session's
 * per-frame arrivals (the caller sends gap-free timestamps, so appended audio is caller audio frame for frame; our
 * bridge joins frames that queued up behind a stall into one append, the official one sends one per frame).
 * Outbound: the caller cuts the bot's audio into replies (a `clear` or a 300 ms pause starts the next); a reply ↔
 * the latest response that had begun sending when it began (a second reply of one response after a `clear` is
 * leaked audio; after a pause, the same reply resumed). Per delta, the
 * latency runs to the first media message holding any of its audio (by byte position, with a small tolerance for
 * the resampler's tail); per media message, from the delta that completed it (which adds chunking hold-back). Barge-in: each interrupting `speech_started` ↔ the first `clear` after it.
 */
import type { CallerCallRecord, FakeResponseRecord, FakeSessionRecord } from './records.js';

/** Position slack when matching media to deltas: the downsampler's tail (< 3 ms) shifts later replies slightly. */
const POSITION_TOLERANCE_BYTES = 24;
/** Marks a reply segment that repeats an already answered response (audio leaked after a `clear`). */
const LEAKED = -2;
/** A reply segment may begin this much before its response's first delta is stamped (clock sync slack). */
const SEGMENT_START_SLACK_MS = 1;
/** A `clear` later than this after a barge-in does not count as its answer. */
const BARGE_MATCH_WINDOW_MS = 2000;

/** Raw samples and counters of one rung. */
export interface RungAnalysis {
  readonly inboundMs: number[];
  /** Per delta: from the delta leaving the fake to the first media carrying its audio reaching the caller. */
  readonly outboundMs: number[];
  /** Per media: from the delta that completed its audio (includes the bridge's hold-back of partial chunks). */
  readonly outboundHoldMs: number[];
  readonly firstAudioMs: number[];
  readonly bargeMs: number[];
  readonly framesSent: number;
  readonly framesLost: number;
  /** Of `framesLost`, frames the bridge dropped before its Realtime socket was open (call start). */
  readonly framesLostAtStart: number;
  readonly outputLostMs: number;
  /** Audio of an interrupted reply that reached the caller after its `clear` (heard after the barge-in). */
  readonly leakedAfterClearMs: number;
  readonly bargeInsMissed: number;
  readonly failedCalls: number;
  readonly unmatchedCalls: number;
  readonly closedByServer: number;
  readonly violations: number;
  /** Negative latencies mean a matching assumption broke; they are counted, not hidden. */
  readonly mismatches: number;
  readonly fakeErrors: Record<string, number>;
}

/**
 * Analyses calls within the measurement window [from, to] (epoch ms, bench clock). A latency below 0 by no more
 * than `toleranceMs` (the clock sync's uncertainty) counts as 0; one further below is a mismatch.
 */
export function analyseRung(
  calls: readonly CallerCallRecord[],
  sessions: readonly FakeSessionRecord[],
  from: number,
  to: number,
  toleranceMs = 0,
): RungAnalysis {
  const byId = new Map<number, FakeSessionRecord>();
  const fakeErrors: Record<string, number> = {};
  for (const s of sessions) {
    for (const [code, n] of Object.entries(s.errors)) fakeErrors[code] = (fakeErrors[code] ?? 0) + n;
    if (s.callId !== undefined) byId.set(s.callId, s);
  }
  const out: RungAnalysis = {
    inboundMs: [],
    outboundMs: [],
    outboundHoldMs: [],
    firstAudioMs: [],
    bargeMs: [],
    framesSent: 0,
    framesLost: 0,
    framesLostAtStart: 0,
    outputLostMs: 0,
    leakedAfterClearMs: 0,
    bargeInsMissed: 0,
    failedCalls: 0,
    unmatchedCalls: 0,
    closedByServer: 0,
    violations: 0,
    mismatches: 0,
    fakeErrors,
  };
  const mutable = out as { -readonly [K in keyof RungAnalysis]: RungAnalysis[K] };
  for (const call of calls) {
    mutable.violations += call.violations;
    if (call.closedByServer) mutable.closedByServer += 1;
    if (call.failure !== undefined) {
      mutable.failedCalls += 1;
      continue;
    }
    const session = byId.get(call.callId);
    mutable.framesSent += call.frameTimes.length;
    if (!session) {
      mutable.unmatchedCalls += 1;
      mutable.framesLost += call.frameTimes.length;
      continue;
    }
    const first = session.firstFrame ?? 0;
    mutable.framesLostAtStart += Math.max(0, first);
    mutable.framesLost += Math.max(0, call.frameTimes.length - session.appendTimes.length);
    const inWindow = (t: number): boolean => t >= from && t <= to;
    const push = (list: number[], ms: number): void => {
      if (ms < -toleranceMs) mutable.mismatches += 1;
      else list.push(Math.max(0, ms));
    };
    call.frameTimes.forEach((sent, k) => {
      const arrived = session.appendTimes[k - first];
      if (arrived !== undefined && inWindow(sent)) push(out.inboundMs, arrived - sent);
    });
    analyseOutput(call, session, inWindow, push, mutable);
    for (const barge of session.bargeTimes) {
      if (!inWindow(barge)) continue;
      const clear = call.clearTimes.find((t) => t >= barge - 1 && t <= barge + BARGE_MATCH_WINDOW_MS);
      if (clear === undefined) mutable.bargeInsMissed += 1;
      else push(out.bargeMs, Math.max(0, clear - barge));
    }
  }
  return out;
}

function analyseOutput(
  call: CallerCallRecord,
  session: FakeSessionRecord,
  inWindow: (t: number) => boolean,
  push: (list: number[], ms: number) => void,
  out: { outboundMs: number[]; outboundHoldMs: number[]; firstAudioMs: number[]; outputLostMs: number; leakedAfterClearMs: number; mismatches: number },
): void {
  const responses = session.responses.filter((r) => r.deltaTimes.length > 0);
  // Each reply segment belongs to the latest response that had started sending when the segment began; a second
  // segment of the same response is its audio arriving after a `clear` (a barge-in leak), kept out of the latencies.
  const media = responses.map(() => ({ times: [] as number[], ends: [] as number[] }));
  const segmentResponse = new Map<number, number>();
  const cleared = new Set(call.clearedSegments);
  let previousEnd = 0;
  // Byte position of a segment's start within its response: non-zero when a reply resumed after a stall.
  let segmentOffset = 0;
  for (let m = 0; m < call.mediaTimes.length; m++) {
    const segment = call.mediaSegments[m] as number;
    const at = call.mediaTimes[m] as number;
    if (!segmentResponse.has(segment)) {
      previousEnd = 0;
      segmentOffset = 0;
      let r = -1;
      for (let j = 0; j < responses.length && (responses[j]?.deltaTimes[0] as number) <= at + SEGMENT_START_SLACK_MS; j++) r = j;
      if (r < 0) out.mismatches += 1;
      const resumed = r >= 0 && (media[r]?.times.length ?? 0) > 0;
      if (resumed && !cleared.has(segment)) {
        // A pause, not a clear: the same reply stalled and went on (an overloaded bridge), so it continues it.
        segmentOffset = media[r]?.ends.at(-1) ?? 0;
        previousEnd = segmentOffset;
        segmentResponse.set(segment, r);
      } else {
        segmentResponse.set(segment, resumed ? LEAKED : r);
      }
    }
    const end = (call.mediaEnds[m] as number) + segmentOffset;
    const r = segmentResponse.get(segment) as number;
    if (r === LEAKED && inWindow(at)) out.leakedAfterClearMs += (end - previousEnd) / 8;
    previousEnd = end;
    if (r < 0) continue;
    media[r]?.times.push(at);
    media[r]?.ends.push(end);
  }
  responses.forEach((response, r) => {
    const { times, ends } = media[r] as { times: number[]; ends: number[] };
    // Per delta: until the first of its audio leaves (the bridge's own delay).
    let start = 0;
    response.deltaEnds.forEach((deltaEnd, d) => {
      const sentAt = response.deltaTimes[d] as number;
      const m = ends.findIndex((e) => e > start + POSITION_TOLERANCE_BYTES);
      start = deltaEnd;
      if (m < 0 || !inWindow(sentAt)) return;
      push(out.outboundMs, (times[m] as number) - sentAt);
      if (d === 0) push(out.firstAudioMs, (times[m] as number) - sentAt);
    });
    // Per media message: since the delta that completed it (adds the chunker's hold-back of partial chunks).
    ends.forEach((end, m) => {
      const at = times[m] as number;
      if (!inWindow(at)) return;
      let d = response.deltaEnds.findIndex((pos) => pos >= end - POSITION_TOLERANCE_BYTES);
      if (d < 0) d = response.deltaEnds.length - 1;
      push(out.outboundHoldMs, at - (response.deltaTimes[d] as number));
    });
    if (response.cancelled || !inWindow(response.deltaTimes[0] as number)) return;
    const missing = (response.deltaEnds[response.deltaEnds.length - 1] as number) - (ends[ends.length - 1] ?? 0);
    if (missing > POSITION_TOLERANCE_BYTES) out.outputLostMs += missing / 8;
  });
}
