/**
 * `OutboundCallRegistry`: the state of the calls this process placed, keyed by CallSid, updated by Twilio's status
 * callbacks (`initiated`, `ringing`, `in-progress`, `completed`, ... and the answering-machine verdict). In memory
 * and bounded; a call record store can subscribe through `onChange`.
 */
import type { StatusCallback } from '../telephony/call-handler.js';
import type { Clock } from '../telephony/clock.js';

/** Calls remembered at most; the oldest are forgotten first. */
export const MAX_OUTBOUND_CALLS = 1_000;

/** Call statuses after which Twilio sends nothing more. */
export const FINAL_CALL_STATUSES: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/** What is known about one outbound call. */
export interface OutboundCallState {
  readonly callSid: string;
  readonly agent: string | undefined;
  /** Twilio `CallStatus`: `queued`, `initiated`, `ringing`, `in-progress`, `completed`, `busy`, `no-answer`, ... */
  readonly status: string;
  /** Answering-machine detection verdict (`human`, `machine_start`, `fax`, `unknown`...), when requested. */
  readonly answeredBy: string | undefined;
  /** Seconds of the call once completed. */
  readonly durationSeconds: number | undefined;
  readonly placedAtMs: number;
  readonly updatedAtMs: number;
}

/** Outbound calls by CallSid. */
export class OutboundCallRegistry {
  readonly #calls = new Map<string, OutboundCallState>();
  readonly #clock: Clock;
  readonly #max: number;
  readonly #listeners = new Set<(state: OutboundCallState) => void>();

  constructor(clock: Clock, maxCalls = MAX_OUTBOUND_CALLS) {
    this.#clock = clock;
    this.#max = maxCalls;
  }

  /** Number of calls remembered. */
  get size(): number {
    return this.#calls.size;
  }

  /** Remembers a call just placed. */
  placed(callSid: string, agent: string | undefined, status: string): OutboundCallState {
    const now = this.#clock.now();
    const state: OutboundCallState = { callSid, agent, status, answeredBy: undefined, durationSeconds: undefined, placedAtMs: now, updatedAtMs: now };
    this.#calls.delete(callSid);
    while (this.#calls.size >= this.#max) {
      const oldest = this.#calls.keys().next();
      if (oldest.done) break;
      this.#calls.delete(oldest.value);
    }
    this.#calls.set(callSid, state);
    this.#notify(state);
    return state;
  }

  /** Applies a status callback; returns the new state, or undefined when the call is not one of ours. */
  update(status: StatusCallback): OutboundCallState | undefined {
    const current = this.#calls.get(status.callSid);
    if (!current) return undefined;
    // A stream status callback carries no CallStatus; it leaves the call's status as it was.
    const duration = Number(status.params.CallDuration);
    const next: OutboundCallState = {
      ...current,
      status: status.callStatus ?? current.status,
      answeredBy: status.params.AnsweredBy ?? current.answeredBy,
      durationSeconds: Number.isFinite(duration) && status.params.CallDuration !== undefined ? duration : current.durationSeconds,
      updatedAtMs: this.#clock.now(),
    };
    this.#calls.set(status.callSid, next);
    this.#notify(next);
    return next;
  }

  /** The state of one call, if remembered. */
  get(callSid: string): OutboundCallState | undefined {
    return this.#calls.get(callSid);
  }

  /** Subscribes to every change; returns the unsubscribe function. */
  onChange(listener: (state: OutboundCallState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(state: OutboundCallState): void {
    for (const listener of this.#listeners) listener(state);
  }
}
