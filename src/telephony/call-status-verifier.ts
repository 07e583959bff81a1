/**
 * Asks Twilio's REST API whether a CallSid is a live call before a Realtime session is spent on it: a replayed
 * webhook of a call that has ended (or never existed on this account) is refused even after this process forgot
 * it (restart, another instance). Results are cached, concurrent checks of one CallSid share one request, and the
 * check has a short deadline (Twilio waits ~15 s for the TwiML; the caller hears ringing meanwhile).
 *
 * The failure mode is explicit: when the REST API fails or misses the deadline, `onError` decides — `answer`
 * (default: a Twilio API blip must not drop real calls; the CallSid is still answerable only once) or `refuse`.
 * Every failure is logged with the mode applied.
 */
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RateLimitedLog } from '../rate-limited-log.js';
import type { Clock, TimerHandle } from './clock.js';

/** The REST boundary: `calls(sid).fetch()`'s `status`. Production wraps the `twilio` client; tests pass a fake. */
export interface CallStatusLookup {
  fetchStatus(callSid: string): Promise<string>;
}

/** The slice of the `twilio` REST client this needs; `twilio(accountSid, authToken)` satisfies it. */
export interface TwilioCallFetchClient {
  readonly calls: (sid: string) => { fetch(): Promise<{ readonly status: string }> };
}

/** `CallStatusLookup` over the real `twilio` client. */
export function twilioCallStatusLookup(client: TwilioCallFetchClient): CallStatusLookup {
  return {
    async fetchStatus(callSid) {
      const call = await client.calls(callSid).fetch();
      return call.status;
    },
  };
}

/** Statuses of a call that may still be answered: Twilio requests the voice URL while a call rings or connects. */
export const ANSWERABLE_CALL_STATUSES: ReadonlySet<string> = new Set(['queued', 'ringing', 'in-progress']);

/** What to do when the REST check fails or times out. */
export type VerifyFailureMode = 'answer' | 'refuse';

/** A check's outcome; `reason` is for logs. */
export type CallVerdict =
  | { readonly ok: true; readonly reason: 'live' | 'check-failed-answered'; readonly status?: string }
  | { readonly ok: false; readonly reason: 'not-live' | 'check-failed-refused'; readonly status?: string };

/** Default deadline of one REST check. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 2_000;

/** How long a verdict is reused: covers duplicates and retries of one call, short enough to stay true. */
export const VERIFY_CACHE_TTL_MS = 60_000;

/** Verdicts cached at most. */
const VERIFY_CACHE_MAX = 10_000;

/** Options for {@link CallStatusVerifier}. */
export interface CallStatusVerifierOptions {
  readonly lookup: CallStatusLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Rate-limits the per-request lines (a flood of forged-but-signed replays must not flood the log). */
  readonly peerLog?: RateLimitedLog;
  readonly timeoutMs?: number;
  readonly onError?: VerifyFailureMode;
}

/** Verifies CallSids against Twilio's REST API; see the file comment. */
export class CallStatusVerifier {
  readonly #options: CallStatusVerifierOptions;
  readonly #timeoutMs: number;
  readonly #onError: VerifyFailureMode;
  readonly #cache = new Map<string, { readonly verdict: CallVerdict; readonly expiresAtMs: number }>();
  readonly #inFlight = new Map<string, Promise<CallVerdict>>();

  constructor(options: CallStatusVerifierOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    this.#onError = options.onError ?? 'answer';
  }

  /** The verdict on `callSid`: cached, shared with a concurrent check, or one REST request within the deadline. */
  verify(callSid: string): Promise<CallVerdict> {
    const now = this.#options.clock.now();
    const cached = this.#cache.get(callSid);
    if (cached && cached.expiresAtMs > now) return Promise.resolve(cached.verdict);
    const running = this.#inFlight.get(callSid);
    if (running) return running;
    const check = this.#check(callSid).finally(() => this.#inFlight.delete(callSid));
    this.#inFlight.set(callSid, check);
    return check;
  }

  async #check(callSid: string): Promise<CallVerdict> {
    const { clock, logger } = this.#options;
    let timer: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(new Error(`Twilio call lookup took longer than ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    const lookup = this.#options.lookup.fetchStatus(callSid);
    // A lookup that loses the race must not become an unhandled rejection.
    lookup.catch(() => undefined);
    let verdict: CallVerdict;
    try {
      const status = await Promise.race([lookup, deadline]);
      verdict = ANSWERABLE_CALL_STATUSES.has(status) ? { ok: true, reason: 'live', status } : { ok: false, reason: 'not-live', status };
      this.#remember(callSid, verdict);
    } catch (error) {
      if ((error as { status?: unknown }).status === 404) {
        // Twilio knows no such call on this account: a forged or foreign CallSid, not a failed check.
        verdict = { ok: false, reason: 'not-live', status: 'not-found' };
        this.#remember(callSid, verdict);
        return verdict;
      }
      const err = toError(error);
      verdict = this.#onError === 'answer' ? { ok: true, reason: 'check-failed-answered' } : { ok: false, reason: 'check-failed-refused' };
      // Not cached: the next webhook for the call gets a fresh check.
      const fields = { callSid, err, onError: this.#onError, status: (error as { status?: unknown }).status };
      if (this.#options.peerLog) this.#options.peerLog.warn(fields, 'twilio call status check failed');
      else logger.warn(fields, 'twilio call status check failed');
    } finally {
      clock.clearTimeout(timer);
    }
    return verdict;
  }

  #remember(callSid: string, verdict: CallVerdict): void {
    if (this.#cache.size >= VERIFY_CACHE_MAX) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(callSid, { verdict, expiresAtMs: this.#options.clock.now() + VERIFY_CACHE_TTL_MS });
  }
}
