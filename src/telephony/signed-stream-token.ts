/**
 * Self-contained stream tokens, so the media stream of a call may land on any instance: the token names its CallSid,
 * its expiry (epoch ms) and a random nonce, and carries an HMAC-SHA256 over them under a key every instance derives
 * from the shared `TWILIO_AUTH_TOKEN`. Any instance verifies it without having issued it; single use is enforced by
 * the shared store (`SharedCallState.useStreamToken`, an atomic insert of the nonce).
 *
 * Wire form: `v1.<base64url(JSON {c, e, n, r?})>.<base64url(HMAC)>` (`r: 1`: a resume claim, minted by an instance
 * that moves a live call at the end of its drain, so the instance taking the stream resumes the call's context), (about 150 characters, under Twilio's 500 for a
 * `<Parameter>`'s name and value). Instances must agree on the time to within a few seconds (NTP).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random bytes of the nonce (128 bits). */
export const STREAM_TOKEN_NONCE_BYTES = 16;

const VERSION = 'v1';

/** Why a signed token was refused, for logs. */
export type SignedTokenRefusal = 'malformed' | 'bad_signature' | 'wrong_call' | 'expired';

/** A verified token's content. */
export interface SignedTokenClaims {
  readonly callSid: string;
  readonly expiresAtMs: number;
  readonly nonce: string;
  /** The stream resumes a call moved from another instance (its context is in the shared store). */
  readonly resume: boolean;
}

/** True when `token` has the signed form (the per-process tokens are plain base64url, without dots). */
export function isSignedStreamToken(token: string | undefined): boolean {
  return token !== undefined && token.startsWith(`${VERSION}.`);
}

/** Issues and verifies signed stream tokens. */
export class SignedStreamTokens {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /** `secret`: the Twilio auth token (shared by every instance); `now`: epoch ms. */
  constructor(options: { readonly secret: string; readonly ttlMs: number; readonly now?: () => number }) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    // A key of its own, derived from the secret: a stream token is never a valid Twilio signature and vice versa.
    this.#key = createHmac('sha256', options.secret).update('voicebot stream token v1').digest();
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  /** A fresh token for `callSid`, valid for the TTL. */
  issue(callSid: string, options: { readonly resume?: boolean } = {}): string {
    const claims = {
      c: callSid,
      e: Math.round(this.#now() + this.#ttlMs),
      n: randomBytes(STREAM_TOKEN_NONCE_BYTES).toString('base64url'),
      ...(options.resume ? { r: 1 } : {}),
    };
    const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
    return `${VERSION}.${body}.${this.#sign(body)}`;
  }

  /** Checks signature, CallSid and expiry (not single use: the shared store does that with the nonce). */
  verify(callSid: string, token: string): { ok: true; claims: SignedTokenClaims } | { ok: false; reason: SignedTokenRefusal } {
    const [version, body, signature, ...rest] = token.split('.');
    if (version !== VERSION || !body || !signature || rest.length > 0) return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.#sign(body), 'utf8');
    const presented = Buffer.from(signature, 'utf8');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'bad_signature' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const { c, e, n, r } = (parsed ?? {}) as { c?: unknown; e?: unknown; n?: unknown; r?: unknown };
    if (typeof c !== 'string' || typeof e !== 'number' || typeof n !== 'string') return { ok: false, reason: 'malformed' };
    if (c !== callSid) return { ok: false, reason: 'wrong_call' };
    if (this.#now() >= e) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { callSid: c, expiresAtMs: e, nonce: n, resume: r === 1 } };
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key).update(`${VERSION}.${body}`).digest('base64url');
  }
}
