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
      'dtmf: expected "4821#", got "48"',
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
});
