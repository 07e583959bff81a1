/**
 * Realtime sessions opened while the phone rings. The voice webhook is answered a second or more before Twilio
 * opens the media socket; connecting to OpenAI in that window means the caller never waits for a connect. A session
 * is keyed by CallSid and adopted by the media stream's `start`; if no stream comes within the TTL it is closed, so
 * an abandoned call costs one short idle session, not a leak.
 */
import type { RealtimeClientLike } from '../infrastructure/realtime-client-events.js';
import type { Logger } from '../logger.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';

/** How long a pre-warmed session waits for its media stream (Twilio usually connects within 1–3 s of the answer). */
export const PREWARM_TTL_MS = 15_000;

/** Upper bound on sessions waiting for a stream at once, so a flood of webhooks cannot open unbounded sockets. */
export const MAX_PREWARMED_SESSIONS = 1_000;

/** A session that was opened for a call, with the outcome of its connect. */
export interface PrewarmedSession {
  readonly client: RealtimeClientLike;
  /** Settles when the connect finished; rejects with the connect error. */
  readonly connected: Promise<void>;
}

interface Entry extends PrewarmedSession {
  readonly timer: TimerHandle;
}

/** Options for {@link PrewarmedSessions}. */
export interface PrewarmedSessionsOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ttlMs?: number;
  readonly maxSessions?: number;
  /** Told when a session is closed unused because its TTL passed (metrics). */
  readonly onExpired?: (callSid: string) => void;
}

/** The pre-warmed sessions of one process, keyed by CallSid. */
export class PrewarmedSessions {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #ttlMs: number;
  readonly #maxSessions: number;
  readonly #onExpired: ((callSid: string) => void) | undefined;

  constructor(options: PrewarmedSessionsOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#ttlMs = options.ttlMs ?? PREWARM_TTL_MS;
    this.#maxSessions = options.maxSessions ?? MAX_PREWARMED_SESSIONS;
    this.#onExpired = options.onExpired;
  }

  /** Number of sessions waiting for their stream. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts connecting `client` for `callSid`. Returns false (and connects nothing) when the call already has a
   * session or the table is full; the stream will then connect its own session on `start`.
   */
  open(callSid: string, client: RealtimeClientLike): boolean {
    if (this.#entries.has(callSid) || this.#entries.size >= this.#maxSessions) return false;
    const connected = client.connect();
    // The adopter awaits `connected`; this handler only keeps an unadopted failure from being unhandled.
    connected.catch((error: unknown) => this.#logger.warn({ err: error, callSid }, 'pre-warmed realtime connect failed'));
    const timer = this.#clock.setTimeout(() => this.#expire(callSid), this.#ttlMs);
    this.#entries.set(callSid, { client, connected, timer });
    return true;
  }

  /** Hands the call's session to its stream (removing it from the table), or undefined when there is none. */
  adopt(callSid: string): PrewarmedSession | undefined {
    const entry = this.#entries.get(callSid);
    if (!entry) return undefined;
    this.#entries.delete(callSid);
    this.#clock.clearTimeout(entry.timer);
    return { client: entry.client, connected: entry.connected };
  }

  /**
   * Closes the call's unused session now (its call ended while ringing, or its stream started on another instance);
   * true when there was one.
   */
  release(callSid: string): boolean {
    const entry = this.adopt(callSid);
    if (!entry) return false;
    entry.client.disconnect().catch((error: unknown) => this.#logger.warn({ err: error, callSid }, 'pre-warmed disconnect failed'));
    return true;
  }

  /** Closes every waiting session (server shutdown). */
  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    for (const [callSid, entry] of this.#entries) {
      this.#clock.clearTimeout(entry.timer);
      this.#entries.delete(callSid);
    }
    await Promise.allSettled(entries.map((entry) => entry.client.disconnect()));
  }

  #expire(callSid: string): void {
    const entry = this.#entries.get(callSid);
    if (!entry) return;
    this.#entries.delete(callSid);
    this.#logger.warn({ callSid, ttlMs: this.#ttlMs }, 'no media stream came for a pre-warmed session; closing it');
    this.#onExpired?.(callSid);
    entry.client.disconnect().catch((error: unknown) => this.#logger.warn({ err: error, callSid }, 'pre-warmed disconnect failed'));
  }
}
