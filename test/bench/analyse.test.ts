import { describe, expect, it } from 'vitest';
import { analyseRung } from '../../scripts/bench/load/analyse.js';
import { summarize } from '../../scripts/bench/load/latency-stats.js';
import type { CallerCallRecord, FakeSessionRecord } from '../../scripts/bench/load/records.js';

function call(overrides: Partial<CallerCallRecord> = {}): CallerCallRecord {
  return { callId: 1, frameTimes: [], mediaTimes: [], mediaSegments: [], mediaEnds: [], clearedSegments: [], clearTimes: [], failure: undefined, closedByServer: false, violations: 0, ...overrides };
}

function session(overrides: Partial<FakeSessionRecord> = {}): FakeSessionRecord {
  return { callId: 1, firstFrame: 0, format: 'pcm', appendTimes: [], responses: [], bargeTimes: [], errors: {}, ...overrides };
}

describe('analyseRung', () => {
  it('pairs frame k with append k - firstFrame and counts frames the bridge never forwarded', () => {
    const result = analyseRung(
      [call({ frameTimes: [0, 20, 40, 60] })],
      [session({ firstFrame: 1, appendTimes: [21, 42, 63] })],
      0,
      100,
    );
    expect(result.inboundMs).toEqual([1, 2, 3]);
    expect(result.framesLost).toBe(1);
    expect(result.framesLostAtStart).toBe(1);
  });

  it('measures each delta to the first media holding its audio, and each media to the delta that completed it', () => {
    const response = { deltaTimes: [0, 50], deltaEnds: [800, 1600], cancelled: false };
    const result = analyseRung(
      [call({ mediaTimes: [1, 45, 51, 95], mediaSegments: [0, 0, 0, 0], mediaEnds: [640, 800, 1440, 1600] })],
      [session({ responses: [response] })],
      0,
      100,
    );
    expect(result.outboundMs).toEqual([1, 1]);
    expect(result.firstAudioMs).toEqual([1]);
    expect(result.outboundHoldMs).toEqual([1, 45, 1, 45]);
    expect(result.outputLostMs).toBe(0);
  });

  it('counts audio of an interrupted reply that arrives after its clear as leaked, not as a new reply', () => {
    const interrupted = { deltaTimes: [0, 50], deltaEnds: [800, 1600], cancelled: true };
    const result = analyseRung(
      [call({ mediaTimes: [1, 51, 61], mediaSegments: [0, 0, 1], mediaEnds: [800, 1600, 800], clearedSegments: [1], clearTimes: [60] })],
      [session({ responses: [interrupted], bargeTimes: [59.5] })],
      0,
      100,
    );
    expect(result.leakedAfterClearMs).toBe(100);
    expect(result.bargeMs).toEqual([0.5]);
    expect(result.bargeInsMissed).toBe(0);
  });

  it('treats a reply resumed after a 300 ms stall (no clear) as the same reply, not as a leak', () => {
    const response = { deltaTimes: [0, 50, 400], deltaEnds: [800, 1600, 2400], cancelled: false };
    const result = analyseRung(
      [call({ mediaTimes: [1, 51, 420], mediaSegments: [0, 0, 1], mediaEnds: [800, 1600, 800] })],
      [session({ responses: [response] })],
      0,
      1000,
    );
    expect(result.leakedAfterClearMs).toBe(0);
    expect(result.outboundMs).toEqual([1, 1, 20]);
    expect(result.outputLostMs).toBe(0);
  });

  it('reports a completed reply the caller did not fully receive as lost output', () => {
    const response = { deltaTimes: [0, 50], deltaEnds: [800, 1600], cancelled: false };
    const result = analyseRung([call({ mediaTimes: [1], mediaSegments: [0], mediaEnds: [800] })], [session({ responses: [response] })], 0, 100);
    expect(result.outputLostMs).toBe(100);
  });

  it('clamps negatives within the clock tolerance to 0 and counts larger ones as mismatches', () => {
    const result = analyseRung([call({ frameTimes: [10, 30] })], [session({ appendTimes: [9.95, 25] })], 0, 100, 0.1);
    expect(result.inboundMs).toEqual([0]);
    expect(result.mismatches).toBe(1);
  });

  it('counts a barge-in without a clear and calls whose tag was never read', () => {
    const result = analyseRung(
      [call({ frameTimes: [0] }), call({ callId: 2, frameTimes: [0, 20] })],
      [session({ appendTimes: [1], bargeTimes: [50] })],
      0,
      100,
    );
    expect(result.bargeInsMissed).toBe(1);
    expect(result.unmatchedCalls).toBe(1);
    expect(result.framesLost).toBe(2);
  });
});

describe('summarize', () => {
  it('gives nearest-rank p50 and p99 and the maximum', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarize(samples)).toEqual({ count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
  });

  it('gives NaN statistics for an empty sample', () => {
    expect(summarize([]).p99Ms).toBeNaN();
  });
});
