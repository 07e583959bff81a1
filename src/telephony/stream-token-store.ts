/**
 * Per-call stream tokens: defence in depth behind the upgrade signature. The voice webhook issues a random token
 * bound to the CallSid and puts it in a `<Parameter>`; the media socket's `start` must present it within the TTL,
 * once. Lookup is by CallSid (not secret) and the token is compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from './clock.js';

/** Random bytes per token: 32 bytes = 256 bits, 43 base64url characters. */
export const STREAM_TOKEN_BYTES = 32;

/** Live tokens kept at most; beyond it the oldest are evicted, so a flood of webhooks cannot grow memory. */
export const DEFAULT_MAX_STREAM_TOKENS = 10_000;

interface TokenEntry {
  readonly token: Buffer;
  readonly expiresAtMs: number;
}

/** Options for `StreamTokenStore`. */
export interface StreamTokenStoreOptions {
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly maxEntries?: number;
  /** Source of randomness; tests may pass a deterministic one. */
  readonly randomBytes?: (size: number) => Buffer;
}

/** Why a token was refused, for logs. */
export type TokenRefusal = 'unknown' | 'expired' | 'mismatch';

/** Issues and consumes single-use, short-lived, CallSid-bound stream tokens. */
export class StreamTokenStore {
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #random: (size: number) => Buffer;
  /** Insertion order equals expiry order (constant TTL, monotonic clock), so sweeping stops at the first live entry. */
  readonly #entries = new Map<string, TokenEntry>();

  constructor(options: StreamTokenStoreOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_STREAM_TOKENS;
    this.#random = options.randomBytes ?? randomBytes;
  }

  /** Live tokens held now (after sweeping expired ones). */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  /** Issues a fresh token for `callSid`; a previous unused token of the same call is revoked. */
  issue(callSid: string): string {
    this.#sweep();
    this.#entries.delete(callSid);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    const token = this.#random(STREAM_TOKEN_BYTES);
    this.#entries.set(callSid, { token, expiresAtMs: this.#clock.now() + this.#ttlMs });
    return token.toString('base64url');
  }

  /**
   * Moves a live token from a provisional key to the real CallSid. An outbound call's inline TwiML must carry its
   * token before Twilio has assigned the CallSid; the token is issued under a random key, then bound once
   * `calls.create` returns. `ttlMs` restarts its lifetime, because an outbound call rings (up to a minute) before
   * its stream starts. False when the key is gone or expired. A longer TTL can leave an expired entry behind this
   * one in sweep order; that entry stays bounded by `maxEntries` and `consume` still refuses it.
   */
  rebind(provisionalKey: string, callSid: string, ttlMs: number = this.#ttlMs): boolean {
    const entry = this.#entries.get(provisionalKey);
    this.#entries.delete(provisionalKey);
    if (!entry || this.#clock.now() >= entry.expiresAtMs) return false;
    this.#entries.delete(callSid);
    this.#entries.set(callSid, { token: entry.token, expiresAtMs: this.#clock.now() + ttlMs });
    return true;
  }

  /**
   * Consumes the token of `callSid`: `{ ok: true }` once for the right, unexpired token, which is then removed;
   * otherwise `{ ok: false, reason }` (`unknown`, `expired` or `mismatch`). The presented
   * token is compared before anything is deleted, so a wrong token (a stranger's `start` naming this CallSid, with
   * another call's token or none) leaves the right one usable: nobody but its holder can burn it. Guessing is not
   * a concern at 256 bits. An expired entry is removed.
   */
  consume(callSid: string, presented: string | undefined): { ok: true } | { ok: false; reason: TokenRefusal } {
    const entry = this.#entries.get(callSid);
    this.#sweep();
    if (!entry) return { ok: false, reason: 'unknown' };
    if (this.#clock.now() >= entry.expiresAtMs) {
      this.#entries.delete(callSid);
      return { ok: false, reason: 'expired' };
    }
    const candidate = Buffer.from(presented ?? '', 'utf8');
    const expected = Buffer.from(entry.token.toString('base64url'), 'utf8');
    // timingSafeEqual needs equal lengths; the token length is public (fixed), so the early check leaks nothing.
    const matches = candidate.length === expected.length && timingSafeEqual(candidate, expected);
    if (!matches) return { ok: false, reason: 'mismatch' };
    this.#entries.delete(callSid);
    return { ok: true };
  }

  /** True while `callSid` holds a live, unconsumed token. */
  has(callSid: string): boolean {
    this.#sweep();
    const entry = this.#entries.get(callSid);
    return entry !== undefined && this.#clock.now() < entry.expiresAtMs;
  }

  /** Drops the token of `key` unused (an outbound call that failed to start). */
  revoke(key: string): void {
    this.#entries.delete(key);
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [callSid, entry] of this.#entries) {
      if (entry.expiresAtMs > now) break;
      this.#entries.delete(callSid);
    }
  }
}
