/**
 * Where to truncate when the caller interrupts: a pure function of what the carrier reported at `clear()` time and
 * what the client received, so the rule is testable without sockets.
 */
import type { PlaybackItemState } from './playback.js';
import type { Truncation } from './service-events.js';

/** Inputs of one barge-in decision. */
export interface BargeInInput {
  /** `PlaybackControl.clear()` result: items still queued at the carrier, oldest (currently heard) first. */
  readonly cleared: readonly PlaybackItemState[];
  /**
   * Other items the caller may not have heard in full: audio purged from the service's queue before it reached
   * the carrier, and items of the response still in flight (more audio may still be generated for them).
   */
  readonly others: readonly string[];
  /** Milliseconds of audio the client received for an item. */
  readonly receivedMs: (itemId: string) => number;
  /** Milliseconds of an item's audio handed to the carrier; for an item not pending there, all of it was heard. */
  readonly deliveredMs: (itemId: string) => number;
}

/**
 * The item being heard is truncated where the caller stopped hearing it: the carrier's played position, capped at
 * what was generated and at what the client received (the server rejects a truncate past its audio). Later items
 * queued at the carrier were never heard: truncated at 0. An item no longer pending at the carrier was heard up to
 * what was delivered (0 if nothing was). Each item appears once, cleared items first.
 */
export function planTruncations(input: BargeInInput): Truncation[] {
  const plan: Truncation[] = [];
  const seen = new Set<string>();
  const add = (itemId: string, audioEndMs: number): void => {
    if (seen.has(itemId)) return;
    seen.add(itemId);
    plan.push({ itemId, audioEndMs });
  };
  input.cleared.forEach((state, index) => {
    if (index > 0) return add(state.itemId, 0);
    const heard = Math.min(state.playedMs, state.generatedMs, input.receivedMs(state.itemId));
    add(state.itemId, Math.max(0, Math.floor(heard)));
  });
  for (const itemId of input.others) {
    add(itemId, Math.max(0, Math.floor(Math.min(input.deliveredMs(itemId), input.receivedMs(itemId)))));
  }
  return plan;
}
