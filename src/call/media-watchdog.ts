/**
 * The Twilio side's liveness and the call's hard duration limit, both enforced by closing the media stream, so
 * neither needs Twilio REST credentials: closing the socket ends `<Connect>` and Twilio runs the `<Connect action>`
 * fallback (an apology or the closing line, then a hang-up).
 * - Twilio streams a `media` frame every 20 ms for the whole call, silence included: no message at all for
 *   `silenceTimeoutMs` means the stream is dead (or the peer is not Twilio), and the call and its paid Realtime
 *   session end.
 * - At `maxDurationMs` (plus `graceMs` when REST control is present and the call timers end the call politely
 *   first) the call ends, whatever else happens.
 */
import type { Logger } from '../logger.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';

/** Default time without any Twilio message before a live call ends. */
export const DEFAULT_MEDIA_WATCHDOG_MS = 5_000;

/** Why the watchdog ended the call. */
export type MediaWatchdogReason = 'twilio_silent' | 'max_duration';

/** Options for {@link MediaWatchdog}. */
export interface MediaWatchdogOptions {
  /** The clock time of the latest message from Twilio. */
  readonly lastMessageAt: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly silenceTimeoutMs?: number;
  /** The call's maximum duration, read on every check (it follows the current agent's settings). */
  readonly maxDurationMs: () => number;
  /** Extra time past the maximum before the hard stop (the polite path, with REST credentials, goes first). */
  readonly graceMs?: number;
  /** Called once; the owner ends the call (closing the stream). */
  readonly onExpired: (reason: MediaWatchdogReason) => void;
}

/** Checks a live call's Twilio side and duration; `start()` when the stream starts, `stop()` at teardown. */
export class MediaWatchdog {
  readonly #options: MediaWatchdogOptions;
  readonly #silenceMs: number;
  readonly #checkMs: number;
  #timer: TimerHandle | undefined;
  #startedAt = 0;
  #running = false;

  constructor(options: MediaWatchdogOptions) {
    this.#options = options;
    this.#silenceMs = options.silenceTimeoutMs ?? DEFAULT_MEDIA_WATCHDOG_MS;
    // A tenth of the limit, at most a second: the call ends within 10 % (or 1 s) of the deadline.
    this.#checkMs = Math.min(1_000, Math.max(50, Math.floor(this.#silenceMs / 10)));
  }

  /** Starts both checks now. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#options.clock.now();
    this.#schedule();
  }

  /** Stops both checks. Idempotent. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimeout(() => this.#check(), this.#checkMs);
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#options.clock.now();
    const silentMs = now - this.#options.lastMessageAt();
    if (silentMs >= this.#silenceMs) {
      this.stop();
      this.#options.logger.warn({ silentMs: Math.round(silentMs), timeoutMs: this.#silenceMs }, 'no message from twilio; ending the call');
      this.#options.onExpired('twilio_silent');
      return;
    }
    const limitMs = this.#options.maxDurationMs() + (this.#options.graceMs ?? 0);
    if (now - this.#startedAt >= limitMs) {
      this.stop();
      this.#options.logger.warn({ limitMs }, 'call reached its maximum duration; closing the stream');
      this.#options.onExpired('max_duration');
      return;
    }
    this.#schedule();
  }
}
