/**
 * The record of every telephony action taken on one call (hang-up, transfer, digit collection, idle reprompts,
 * the duration limit), with its outcome. The call wiring persists `entries()` with the call record; each entry is
 * also logged once, structured, with personal data only under redacted keys.
 */
import type { Logger } from '../logger.js';
import type { Clock } from '../telephony/clock.js';

/** Which action an entry is about. */
export type ActionKind =
  | 'hang_up'
  | 'transfer'
  | 'collect_digits'
  | 'dtmf'
  | 'idle_reprompt'
  | 'idle_timeout'
  | 'max_duration'
  | 'tool_refused';

/** How an action ended. */
export type ActionOutcome = 'ok' | 'already_ended' | 'failed' | 'timeout' | 'refused' | 'cancelled';

/** One action on the call. Details hold no personal data: digit counts, never digits; no phone numbers. */
export interface ActionRecord {
  readonly action: ActionKind;
  readonly outcome: ActionOutcome;
  /** Milliseconds since the call's actions were created (the call start). */
  readonly atMs: number;
  /** Why the action was taken (the model's `reason`, or a timer's name). */
  readonly reason?: string | undefined;
  /** Small, non-personal details: `department`, `digitCount`, `terminatedBy`, `code`, `error`... */
  readonly details?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** Appends and logs action records for one call. */
export class ActionLog {
  readonly #entries: ActionRecord[] = [];
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #startedAt: number;

  constructor(logger: Logger, clock: Clock) {
    this.#logger = logger;
    this.#clock = clock;
    this.#startedAt = clock.now();
  }

  /** Records an action and logs it (warn for failures, info otherwise); returns the stored record. */
  record(entry: Omit<ActionRecord, 'atMs'>): ActionRecord {
    const record: ActionRecord = { ...entry, atMs: Math.round(this.#clock.now() - this.#startedAt) };
    this.#entries.push(record);
    // The model's reason is free text and may quote the caller: it is logged only under the redacted `text` key.
    const fields = { action: record.action, outcome: record.outcome, atMs: record.atMs, text: record.reason, ...record.details };
    if (record.outcome === 'failed' || record.outcome === 'timeout') this.#logger.warn(fields, 'call action failed');
    else this.#logger.info(fields, 'call action');
    return record;
  }

  /** Every record so far, oldest first (a copy). */
  entries(): ActionRecord[] {
    return [...this.#entries];
  }
}
