/**
 * Signing and verifying the post-call webhook, the way Stripe and Twilio sign theirs:
 * `X-Voicebot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with CALL_WEBHOOK_SECRET>`.
 * The timestamp is inside the signed text, so a receiver that rejects old timestamps (the replay window) also
 * rejects a captured request replayed later; `X-Voicebot-Event-Id` lets it drop a retry it already processed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature. */
export const SIGNATURE_HEADER = 'x-voicebot-signature';
/** Header carrying the event id (the same on every retry of one event). */
export const EVENT_ID_HEADER = 'x-voicebot-event-id';
/** Default replay window of {@link verifyWebhookSignature}: 5 minutes, as Stripe's libraries use. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/** The `X-Voicebot-Signature` value for `rawBody` (exactly the bytes sent) at `timestampSeconds`. */
export function signWebhook(secret: string, rawBody: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/** Why a signature was refused. */
export type SignatureProblem = 'missing' | 'malformed' | 'expired' | 'mismatch';

/**
 * Verifies a webhook request: `header` is the `X-Voicebot-Signature` value, `rawBody` the body exactly as received
 * (before any JSON parsing). Accepts when one `v1` matches in constant time and `t` is within `toleranceSeconds`
 * of now (either side, for clock skew). Never throws.
 */
export function verifyWebhookSignature(options: {
  readonly secret: string;
  readonly header: string | undefined;
  readonly rawBody: string;
  readonly toleranceSeconds?: number;
  readonly nowSeconds?: number;
}): { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly problem: SignatureProblem } {
  const { header } = options;
  if (header === undefined || header.trim() === '') return { ok: false, problem: 'missing' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, problem: 'malformed' };
  const now = options.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, problem: 'expired' };
  const expected = Buffer.from(hmacHex(options.secret, timestamp, options.rawBody), 'hex');
  const matches = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
  return matches ? { ok: true, timestamp } : { ok: false, problem: 'mismatch' };
}
