import { describe, expect, it } from 'vitest';
import { replayMismatches, type ReplayObservation } from '../../scripts/sim-caller/replay-expectations.js';

const clean: ReplayObservation['result'] = { clears: [], dtmfSent: '', endedBy: 'caller', closeCode: 1000, violations: [] };

describe('replayMismatches', () => {
  it('is empty when the replay did what the header promises', () => {
    expect(
      replayMismatches(
        { intents: ['bill_explanation', 'cancel_service'], agents: ['billing', 'retention'], barge_in: true, dtmf_digits: '12', ended_by: 'caller' },
        {
          result: { ...clean, clears: [{ atMs: 10, flushedMs: 300 }], dtmfSent: '12' },
          intents: ['bill_explanation', 'cancel_service'],
          agents: ['billing', 'retention'],
          dtmfDigits: '12',
          truncations: 1,
        },
      ),
    ).toEqual([]);
  });

  it('lists every difference readably', () => {
    expect(
      replayMismatches(
        { intents: ['bill_explanation'], barge_in: true, dtmf_digits: '4821#', hangup_mid_utterance: true },
        { result: { ...clean, endedBy: 'server', closeCode: undefined, violations: ['binary frame (Twilio warning 31950)'] }, intents: [], dtmfDigits: '48', truncations: 0 },
      ),
    ).toEqual([
      'intents: expected [bill_explanation], got []',
      'dtmf: expected "4821#" at the model, got "48"',
      'barge-in: expected a clear, the server sent none',
      'barge-in: expected a truncate, none was sent',
      'ended by: expected caller, got server',
      'teardown: the media socket never closed',
      'protocol: binary frame (Twilio warning 31950)',
    ]);
  });

  it('flags an unexpected barge-in and skips server facts that were not observed', () => {
    expect(replayMismatches({ barge_in: false, intents: ['x'] }, { result: { ...clean, clears: [{ atMs: 1, flushedMs: 1 }] } })).toEqual([
      'barge-in: expected none, the server sent 1 clear(s)',
    ]);
  });

  it('never takes what the caller sent for what reached the model, nor a promise nobody observed for a pass', () => {
    expect(
      replayMismatches(
        { dtmf_digits: '12', min_silence_ms: 1000, late_frames: true, reroutes: 1 },
        { result: { ...clean, dtmfSent: '12' } },
      ),
    ).toEqual([
      'dtmf: promised by the header but not observed by this replay',
      'reroutes: promised by the header but not observed by this replay',
      'min_silence_ms: promised by the header but not observed by this replay',
      'late_frames: promised by the header but not observed by this replay',
    ]);
  });

  it('checks silence and late frames against the audio the caller sent, and that the model got it all', () => {
    const silent = Buffer.alloc(160, 0xff).toString('base64');
    const loud = Buffer.alloc(160, 0x10).toString('base64');
    const frame = (t: number, timestamp: number, payload: string) => ({ t_ms: t, dir: 'in' as const, msg: { event: 'media', media: { timestamp: String(timestamp), payload } } });
    const onTime = [frame(20, 0, loud), ...Array.from({ length: 50 }, (_, i) => frame(40 + i * 20, 20 + i * 20, silent)), frame(1060, 1020, loud)];
    expect(replayMismatches({ min_silence_ms: 1000, late_frames: false }, { result: clean, inbound: onTime, appendedMs: 52 * 20 })).toEqual([]);
    expect(replayMismatches({ min_silence_ms: 1200 }, { result: clean, inbound: onTime })).toEqual([
      'silence: expected a stretch of at least 1200 ms, the longest is 1000 ms',
    ]);
    // A stall of 300 ms, then the held frames in a burst.
    const bursty = onTime.map((line, i) => (i >= 10 && i < 25 ? { ...line, t_ms: 520 + i } : line));
    expect(replayMismatches({ late_frames: true }, { result: clean, inbound: bursty, appendedMs: 52 * 20 })).toEqual([]);
    expect(replayMismatches({ late_frames: true }, { result: clean, inbound: onTime, appendedMs: 52 * 20 })).toEqual([
      'late frames: expected true, arrival spread 20 ms with 0 burst frame(s)',
    ]);
    expect(replayMismatches({ late_frames: true }, { result: clean, inbound: bursty, appendedMs: 500 })).toEqual([
      'late frames: the model got 500 ms of the 1040 ms the caller sent',
    ]);
  });
});
