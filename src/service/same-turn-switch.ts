/**
 * The same-turn switch rule: when the orchestrator moves the call to another agent because of what the caller just
 * said, should the specialist answer that very turn (cancel the reply already started and ask again), or only the
 * next one? A pure function of facts the service gathers, so the rule is tested without sockets.
 *
 * Why it is needed: with server VAD the model creates its reply at the commit, while the caller's final transcript,
 * and so the orchestrator's decision, comes hundreds of milliseconds later. Without a re-route the previous agent
 * answers the turn that revealed the intent ("I was charged twice" answered by the front desk).
 *
 * The rule: re-route when the decision is about the turn the latest reply answers, and the caller has heard at most
 * `maxHeardMs` of that reply, counted only from Twilio's mark echoes (audio queued at Twilio but not confirmed
 * played counts as unheard; marks are sent every 80 ms of audio, so up to one mark interval plus the echo's trip
 * may have reached the caller's ear unconfirmed). Otherwise the switch applies from the next turn: a reply the
 * caller is hearing is never cut off.
 */

/** The catalogue's `sameTurnSwitch` settings (see `agents/*.yaml`). */
export interface SameTurnSwitchPolicy {
  /** False: a switch always applies from the next turn (the stale reply plays out). */
  readonly enabled: boolean;
  /**
   * Most milliseconds of the stale reply the caller may have heard (Twilio-confirmed) for it still to be replaced.
   * 0 means "nothing of it was heard".
   */
  readonly maxHeardMs: number;
}

/** The default: re-route only replies the caller has heard nothing of. */
export const DEFAULT_SAME_TURN_SWITCH: SameTurnSwitchPolicy = Object.freeze({ enabled: true, maxHeardMs: 0 });

/** The latest reply, as the service knows it when the decision arrives. */
export interface LatestReply {
  /** The user item the reply answers (the last user item added before its `response.created`). */
  readonly turnItemId: string | undefined;
  /** The reply was already cancelled or dropped (a barge-in, an earlier re-route). */
  readonly dropped: boolean;
  /** Milliseconds of the reply Twilio confirmed played (the largest over its items). */
  readonly heardMs: number;
}

/** Facts of one decision. */
export interface SameTurnSwitchInput {
  readonly policy: SameTurnSwitchPolicy;
  /** The caller turn (user item) the orchestrator decided on; undefined when unknown (e.g. a keypad turn). */
  readonly decidedTurnItemId: string | undefined;
  readonly latestReply: LatestReply | undefined;
  /** The caller is speaking again (speech started and not stopped): a new turn is under way. */
  readonly callerSpeaking: boolean;
}

/** Why a switch waits for the next turn. */
export type NextTurnReason = 'disabled' | 'unknown_turn' | 'no_reply_yet' | 'other_turn' | 'reply_dropped' | 'heard' | 'caller_speaking';

/** What to do with the reply in progress. */
export type SameTurnSwitchDecision = { readonly action: 'reroute' } | { readonly action: 'next_turn'; readonly reason: NextTurnReason };

/** Applies the rule in the file comment. */
export function decideSameTurnSwitch(input: SameTurnSwitchInput): SameTurnSwitchDecision {
  const next = (reason: NextTurnReason): SameTurnSwitchDecision => ({ action: 'next_turn', reason });
  if (!input.policy.enabled) return next('disabled');
  if (input.decidedTurnItemId === undefined) return next('unknown_turn');
  const reply = input.latestReply;
  // The update lands before the reply to this turn is created: that reply already speaks as the specialist.
  if (reply === undefined) return next('no_reply_yet');
  if (reply.turnItemId !== input.decidedTurnItemId) return next(reply.turnItemId === undefined ? 'unknown_turn' : 'other_turn');
  if (reply.dropped) return next('reply_dropped');
  if (input.callerSpeaking) return next('caller_speaking');
  if (reply.heardMs > input.policy.maxHeardMs) return next('heard');
  return { action: 'reroute' };
}
