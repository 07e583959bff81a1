/**
 * Which CallSids this deployment has answered: a captured, correctly signed voice webhook can be replayed, and a
 * replay must not get a fresh stream token or a paid Realtime session. A CallSid is answerable once:
 * - the first webhook claims it (`admitted`);
 * - a duplicate while that answer's stream has not started (`pending`) is refused and does not disturb the first;
 * - once the stream started, or the answer is older than `answerWindowMs` (its token has expired), every further
 *   webhook for it is refused (`served`).
 *
 * Behind an async interface so a shared store (SQLite, Postgres) can replace the in-memory one when several
 * instances answer the same numbers; `claim` must then be atomic (an insert that fails on conflict).
 */
import type { Clock } from './clock.js';

/** The verdict on a voice webhook's CallSid. */
export type AdmissionVerdict = 'admitted' | 'pending' | 'served';

/** The "answered once" record of CallSids; in memory here, shared across instances later. */
export interface CallAdmissionStore {
  /** Claims `callSid` for its one answer; `admitted` exactly once per CallSid. */
  claim(callSid: string): Promise<AdmissionVerdict>;
  /** Records that the call's media stream started (its token was consumed): the CallSid is served. */
  markStreamStarted(callSid: string): Promise<void>;
}

/** How long a served CallSid is remembered: Twilio calls last at most 4 hours, a replay is useless after. */
export const DEFAULT_ADMISSION_MEMORY_MS = 4 * 60 * 60 * 1000;

/** CallSids remembered at most; beyond it the oldest are forgotten (about 100 bytes each: 10 MB). */
export const DEFAULT_MAX_ADMISSIONS = 100_000;

interface Admission {
  state: 'answered' | 'streaming';
  readonly answeredAtMs: number;
}

/** Options for {@link MemoryCallAdmissionStore}. */
export interface MemoryCallAdmissionStoreOptions {
  readonly clock: Clock;
  /** How long an answer waits for its stream before the CallSid counts as served (the stream token's TTL). */
  readonly answerWindowMs: number;
  readonly memoryMs?: number;
  readonly maxEntries?: number;
}

/** One process's admissions, in insertion order (which is expiry order: constant memory, monotonic clock). */
export class MemoryCallAdmissionStore implements CallAdmissionStore {
  readonly #clock: Clock;
  readonly #answerWindowMs: number;
  readonly #memoryMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Admission>();

  constructor(options: MemoryCallAdmissionStoreOptions) {
    this.#clock = options.clock;
    this.#answerWindowMs = options.answerWindowMs;
    this.#memoryMs = options.memoryMs ?? DEFAULT_ADMISSION_MEMORY_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ADMISSIONS;
  }

  /** CallSids remembered now. */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  async claim(callSid: string): Promise<AdmissionVerdict> {
    this.#sweep();
    const now = this.#clock.now();
    const entry = this.#entries.get(callSid);
    if (entry === undefined) {
      while (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (oldest.done) break;
        this.#entries.delete(oldest.value);
      }
      this.#entries.set(callSid, { state: 'answered', answeredAtMs: now });
      return 'admitted';
    }
    if (entry.state === 'answered' && now - entry.answeredAtMs < this.#answerWindowMs) return 'pending';
    return 'served';
  }

  async markStreamStarted(callSid: string): Promise<void> {
    const entry = this.#entries.get(callSid);
    if (entry) entry.state = 'streaming';
    else this.#entries.set(callSid, { state: 'streaming', answeredAtMs: this.#clock.now() });
  }

  #sweep(): void {
    const cutoff = this.#clock.now() - this.#memoryMs;
    for (const [callSid, entry] of this.#entries) {
      if (entry.answeredAtMs > cutoff) break;
      this.#entries.delete(callSid);
    }
  }
}
