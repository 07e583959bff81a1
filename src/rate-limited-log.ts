/**
 * Rate-limited logging for lines a peer can trigger (a malformed frame, a refused signature, a DTMF digit): a
 * client that sends 2,000 bad messages must not write 2,000 lines. Each kind (the static message) is logged in
 * full for its first `burst` occurrences; after that occurrences are only counted, and one summary line carrying
 * the count (`occurrences`, `suppressed`) is written at most every `summaryIntervalMs`. `flush()` writes the
 * pending counts (at the end of a call), so nothing is lost, only folded.
 *
 * One instance per scope: per call for the media socket's lines, per process for HTTP lines.
 */
import type { Logger } from './logger.js';
import type { Clock } from './telephony/clock.js';

/** Lines written in full per kind before counting starts. */
export const DEFAULT_LOG_BURST = 3;

/** Shortest time between two summary lines of one kind. */
export const DEFAULT_LOG_SUMMARY_INTERVAL_MS = 10_000;

/** Levels a rate-limited line may use. */
export type RateLimitedLevel = 'debug' | 'info' | 'warn' | 'error';

/** Options for {@link RateLimitedLog}. */
export interface RateLimitedLogOptions {
  readonly logger: Logger;
  readonly clock: Pick<Clock, 'now'>;
  readonly burst?: number;
  readonly summaryIntervalMs?: number;
}

interface KindState {
  level: RateLimitedLevel;
  occurrences: number;
  suppressed: number;
  lastSummaryAtMs: number;
  lastFields: Readonly<Record<string, unknown>>;
}

/** Logs peer-triggered lines: the first few of each kind, then periodic counts. */
export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #burst: number;
  readonly #intervalMs: number;
  readonly #kinds = new Map<string, KindState>();

  constructor(options: RateLimitedLogOptions) {
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#burst = options.burst ?? DEFAULT_LOG_BURST;
    this.#intervalMs = options.summaryIntervalMs ?? DEFAULT_LOG_SUMMARY_INTERVAL_MS;
  }

  /** Logs (or counts) one occurrence of `message` at `level`; `message` must be static (it is the kind). */
  log(level: RateLimitedLevel, fields: Readonly<Record<string, unknown>>, message: string): void {
    const now = this.#clock.now();
    let state = this.#kinds.get(message);
    if (state === undefined) {
      state = { level, occurrences: 0, suppressed: 0, lastSummaryAtMs: now, lastFields: fields };
      this.#kinds.set(message, state);
    }
    state.occurrences += 1;
    state.lastFields = fields;
    if (state.occurrences <= this.#burst) {
      this.#logger[level]({ ...fields, occurrences: state.occurrences }, message);
      state.lastSummaryAtMs = now;
      return;
    }
    state.suppressed += 1;
    if (now - state.lastSummaryAtMs >= this.#intervalMs) this.#summarize(message, state, now);
  }

  warn(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.log('warn', fields, message);
  }

  info(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.log('info', fields, message);
  }

  debug(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.log('debug', fields, message);
  }

  /** Occurrences of `message` so far (logged or not). */
  occurrences(message: string): number {
    return this.#kinds.get(message)?.occurrences ?? 0;
  }

  /** Writes one summary per kind with occurrences not yet reported (call end, shutdown). */
  flush(): void {
    const now = this.#clock.now();
    for (const [message, state] of this.#kinds) if (state.suppressed > 0) this.#summarize(message, state, now);
  }

  #summarize(message: string, state: KindState, now: number): void {
    this.#logger[state.level]({ ...state.lastFields, occurrences: state.occurrences, suppressed: state.suppressed }, message);
    state.suppressed = 0;
    state.lastSummaryAtMs = now;
  }
}
