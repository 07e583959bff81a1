/**
 * DTMF digit collection for the `collect_digits` tool: gathers keypad digits until a count is reached, a
 * terminator key is pressed, or the caller stops pressing keys for the timeout (like Twilio's `<Gather timeout>`,
 * which restarts after every key). One collection at a time per call.
 */
import type { Clock, TimerHandle } from '../telephony/clock.js';

/** Keys a terminator may be. */
export const TERMINATOR_KEYS = ['#', '*'] as const;

/** A terminator key. */
export type TerminatorKey = (typeof TERMINATOR_KEYS)[number];

/** What to collect. At least one of `count` and `terminator` ends a collection early; the timeout always does. */
export interface CollectDigitsRequest {
  /** Stop after this many digits. */
  readonly count?: number | undefined;
  /** Stop when this key is pressed (the key is not part of the digits). */
  readonly terminator?: TerminatorKey | undefined;
  /** Stop when no key was pressed for this long (restarts after every key). */
  readonly timeoutMs: number;
}

/** Why a collection ended. */
export type CollectionEnd = 'count' | 'terminator' | 'timeout' | 'cancelled';

/** Collected digits (personal data: log only under the redacted `digits` key) and why collection stopped. */
export interface CollectDigitsResult {
  readonly digits: string;
  readonly terminatedBy: CollectionEnd;
}

interface Active {
  readonly request: CollectDigitsRequest;
  readonly resolve: (result: CollectDigitsResult) => void;
  digits: string;
  timer: TimerHandle | undefined;
}

/** Routes keypad presses to the collection in progress, if any. */
export class DigitCollector {
  readonly #clock: Clock;
  #active: Active | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** True while a collection is waiting for keys. */
  get collecting(): boolean {
    return this.#active !== undefined;
  }

  /** Starts a collection; a collection already running is ended as `cancelled` first. */
  collect(request: CollectDigitsRequest): Promise<CollectDigitsResult> {
    this.cancel();
    return new Promise<CollectDigitsResult>((resolve) => {
      this.#active = { request, resolve, digits: '', timer: undefined };
      this.#arm();
    });
  }

  /** Offers one key; returns true when a collection consumed it (it must then not reach the model as text). */
  press(digit: string): boolean {
    const active = this.#active;
    if (!active) return false;
    if (digit === active.request.terminator) {
      this.#finish('terminator');
      return true;
    }
    active.digits += digit;
    if (active.request.count !== undefined && active.digits.length >= active.request.count) this.#finish('count');
    else this.#arm();
    return true;
  }

  /** Ends the collection in progress (call ending, another collection) with what was gathered so far. */
  cancel(): void {
    if (this.#active) this.#finish('cancelled');
  }

  #arm(): void {
    const active = this.#active;
    if (!active) return;
    if (active.timer !== undefined) this.#clock.clearTimeout(active.timer);
    active.timer = this.#clock.setTimeout(() => this.#finish('timeout'), active.request.timeoutMs);
  }

  #finish(terminatedBy: CollectionEnd): void {
    const active = this.#active;
    if (!active) return;
    this.#active = undefined;
    if (active.timer !== undefined) this.#clock.clearTimeout(active.timer);
    active.resolve({ digits: active.digits, terminatedBy });
  }
}
