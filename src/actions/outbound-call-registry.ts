/**
 * The state of the outbound calls placed through `POST /calls`, keyed by CallSid, updated by Twilio's status
 * callbacks (`initiated`, `ringing`, `in-progress`, `completed`, ... and the answering-machine verdict), and the
 * binding of each call's stream key (the provisional key its signed stream token names, see `outbound-calls.ts`) to
 * its CallSid. `OutboundCallStates` is the seam: the shared store's SQL table (`src/store/shared-outbound-calls.ts`)
 * serves N instances, `OutboundCallRegistry` (in memory, bounded) one process.
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

/** Where outbound calls' state lives; every method may hit a database. */
export interface OutboundCallStates {
  /** Remembers a call just placed, with the stream key its stream token was signed for (when signed). */
  placed(callSid: string, agent: string | undefined, status: string, streamKey?: string): Promise<OutboundCallState>;
  /** Applies a status callback; the new state, or undefined when the call is not one of ours. */
  update(status: StatusCallback): Promise<OutboundCallState | undefined>;
  /** The state of one call, if remembered. */
  get(callSid: string): Promise<OutboundCallState | undefined>;
  /** The CallSid a stream key was bound to when the call was placed, if any. */
  callSidForStreamKey(streamKey: string): Promise<string | undefined>;
}

/** The next state of `current` after a status callback (a stream status callback carries no `CallStatus`). */
export function applyStatusCallback(current: OutboundCallState, status: StatusCallback, nowMs: number): OutboundCallState {
  const duration = Number(status.params.CallDuration);
  return {
    ...current,
    status: status.callStatus ?? current.status,
    answeredBy: status.params.AnsweredBy ?? current.answeredBy,
    durationSeconds: Number.isFinite(duration) && status.params.CallDuration !== undefined ? duration : current.durationSeconds,
    updatedAtMs: nowMs,
  };
}

/** Outbound calls by CallSid, in this process's memory. */
export class OutboundCallRegistry implements OutboundCallStates {
  readonly #calls = new Map<string, OutboundCallState>();
  readonly #clock: Clock;
  readonly #max: number;
  readonly #listeners = new Set<(state: OutboundCallState) => void>();
  readonly #streamKeys = new Map<string, string>();

  constructor(clock: Clock, maxCalls = MAX_OUTBOUND_CALLS) {
    this.#clock = clock;
    this.#max = maxCalls;
  }

  /** Number of calls remembered. */
  get size(): number {
    return this.#calls.size;
  }

  async placed(callSid: string, agent: string | undefined, status: string, streamKey?: string): Promise<OutboundCallState> {
    const now = this.#clock.now();
    const state: OutboundCallState = { callSid, agent, status, answeredBy: undefined, durationSeconds: undefined, placedAtMs: now, updatedAtMs: now };
    this.#calls.delete(callSid);
    while (this.#calls.size >= this.#max) {
      const oldest = this.#calls.keys().next();
      if (oldest.done) break;
      this.#calls.delete(oldest.value);
    }
    this.#calls.set(callSid, state);
    if (streamKey !== undefined) this.#streamKeys.set(streamKey, callSid);
    while (this.#streamKeys.size > this.#max) this.#streamKeys.delete(this.#streamKeys.keys().next().value as string);
    this.#notify(state);
    return state;
  }

  async update(status: StatusCallback): Promise<OutboundCallState | undefined> {
    const current = this.#calls.get(status.callSid);
    if (!current) return undefined;
    const next = applyStatusCallback(current, status, this.#clock.now());
    this.#calls.set(status.callSid, next);
    this.#notify(next);
    return next;
  }

  async get(callSid: string): Promise<OutboundCallState | undefined> {
    return this.#calls.get(callSid);
  }

  async callSidForStreamKey(streamKey: string): Promise<string | undefined> {
    return this.#streamKeys.get(streamKey);
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
