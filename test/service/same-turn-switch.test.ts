import { describe, expect, it } from 'vitest';
import { DEFAULT_SAME_TURN_SWITCH, decideSameTurnSwitch, type SameTurnSwitchInput } from '../../src/service/same-turn-switch.js';

const base: SameTurnSwitchInput = {
  policy: DEFAULT_SAME_TURN_SWITCH,
  decidedTurnItemId: 'item_user_2',
  latestReply: { turnItemId: 'item_user_2', dropped: false, heardMs: 0 },
  callerSpeaking: false,
};

describe('decideSameTurnSwitch', () => {
  it('re-routes the reply to the decided turn when the caller has heard none of it', () => {
    expect(decideSameTurnSwitch(base)).toEqual({ action: 'reroute' });
  });

  it('never cuts a reply the caller has heard: one confirmed millisecond past the threshold waits for the next turn', () => {
    expect(decideSameTurnSwitch({ ...base, latestReply: { ...base.latestReply!, heardMs: 1 } })).toEqual({ action: 'next_turn', reason: 'heard' });
    const lenient = { enabled: true, maxHeardMs: 200 };
    expect(decideSameTurnSwitch({ ...base, policy: lenient, latestReply: { ...base.latestReply!, heardMs: 200 } })).toEqual({ action: 'reroute' });
    expect(decideSameTurnSwitch({ ...base, policy: lenient, latestReply: { ...base.latestReply!, heardMs: 201 } })).toEqual({
      action: 'next_turn',
      reason: 'heard',
    });
  });

  it('leaves replies to other turns, dropped replies, unknown turns and a disabled policy alone', () => {
    expect(decideSameTurnSwitch({ ...base, latestReply: { ...base.latestReply!, turnItemId: 'item_user_1' } })).toMatchObject({ reason: 'other_turn' });
    expect(decideSameTurnSwitch({ ...base, latestReply: { ...base.latestReply!, turnItemId: undefined } })).toMatchObject({ reason: 'unknown_turn' });
    expect(decideSameTurnSwitch({ ...base, latestReply: { ...base.latestReply!, dropped: true } })).toMatchObject({ reason: 'reply_dropped' });
    expect(decideSameTurnSwitch({ ...base, decidedTurnItemId: undefined })).toMatchObject({ reason: 'unknown_turn' });
    expect(decideSameTurnSwitch({ ...base, latestReply: undefined })).toMatchObject({ reason: 'no_reply_yet' });
    expect(decideSameTurnSwitch({ ...base, policy: { enabled: false, maxHeardMs: 0 } })).toMatchObject({ reason: 'disabled' });
  });

  it('waits for the next turn while the caller is already speaking again', () => {
    expect(decideSameTurnSwitch({ ...base, callerSpeaking: true })).toEqual({ action: 'next_turn', reason: 'caller_speaking' });
  });
});
