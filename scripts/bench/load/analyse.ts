/**
 * Turns one rung's caller and fake records into latencies and losses, matching calls by the tag in their first
 * frames. Inbound: frame k of a call ↔ append k - firstFrame of its session (both bridges forward exactly one append per 20 ms
 * frame when no timestamp gap needs filling, and the caller sends gap-free timestamps). Outbound: the caller cuts
 * the bot's audio into replies (a `clear` or a 300 ms pause starts the next); reply j ↔ the j-th response that sent
 * audio; a media message ending at byte B of its reply ↔ the first delta whose audio reaches B (minus a small
 * tolerance for the resampler's tail). Barge-in: each interrupting `speech_started` ↔ the first `clear` after it.
 */
import type { CallerCallRecord, FakeSessionRecord } from './records.js';

/** Position slack when matching media to deltas: the downsampler's tail (< 3 ms) shifts later replies slightly. */
const POSITION_TOLERANCE_BYTES = 24;
/** A `clear` later than this after a barge-in does not count as its answer. */
const BARGE_MATCH_WINDOW_MS = 2000;

/** Raw samples and counters of one rung. */
export interface RungAnalysis {
  readonly inboundMs: number[];
  readonly outboundMs: number[];
  readonly firstAudioMs: number[];
  readonly bargeMs: number[];
  readonly framesSent: number;
  readonly framesLost: number;
  /** Of `framesLost`, frames the bridge dropped before its Realtime socket was open (call start). */
  readonly framesLostAtStart: number;
  readonly outputLostMs: number;
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
    firstAudioMs: [],
    bargeMs: [],
    framesSent: 0,
    framesLost: 0,
    framesLostAtStart: 0,
    outputLostMs: 0,
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
  out: { outboundMs: number[]; firstAudioMs: number[]; outputLostMs: number },
): void {
  const responses = session.responses.filter((r) => r.deltaTimes.length > 0);
  const received = new Map<number, number>();
  let lastSegment = -1;
  for (let m = 0; m < call.mediaTimes.length; m++) {
    const segment = call.mediaSegments[m] as number;
    const at = call.mediaTimes[m] as number;
    const end = call.mediaEnds[m] as number;
    received.set(segment, end);
    const response = responses[segment];
    if (!response) continue;
    const firstOfSegment = segment !== lastSegment;
    lastSegment = segment;
    if (!inWindow(at)) continue;
    let d = response.deltaEnds.findIndex((pos) => pos >= end - POSITION_TOLERANCE_BYTES);
    if (d < 0) d = response.deltaEnds.length - 1;
    push(out.outboundMs, at - (response.deltaTimes[d] as number));
    if (firstOfSegment) push(out.firstAudioMs, at - (response.deltaTimes[0] as number));
  }
  responses.forEach((response, j) => {
    if (response.cancelled || !inWindow(response.deltaTimes[0] as number)) return;
    const sent = response.deltaEnds[response.deltaEnds.length - 1] as number;
    const missing = sent - (received.get(j) ?? 0);
    if (missing > POSITION_TOLERANCE_BYTES) out.outputLostMs += missing / 8;
  });
}
