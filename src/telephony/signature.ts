/**
 * Twilio request signatures. Twilio signs `url + concat(sorted key + value)` with HMAC-SHA1 under the auth token;
 * the URL must be exactly the one Twilio requested, so it is always built from `PUBLIC_BASE_URL`, never from the
 * `Host` or `X-Forwarded-*` headers (attacker-controlled, and wrong behind ngrok).
 */
import twilio from 'twilio';

/** Form parameters as Fastify's formbody parser delivers them. */
export type SignedParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The path (and query, if any) part of a raw request URL as received, e.g. `/twilio/voice?x=1`. */
function pathAndQuery(rawUrl: string): string {
  return rawUrl.startsWith('/') ? rawUrl : `/${rawUrl}`;
}

/** The https URL Twilio signed for a webhook: the configured public origin plus the request's path and query. */
export function webhookSignedUrl(publicBaseUrl: string, rawUrl: string): string {
  return `${publicBaseUrl}${pathAndQuery(rawUrl)}`;
}

/** The `wss://` URL Twilio signed for the media socket upgrade: the public host, the request's path and query. */
export function mediaSignedUrl(publicBaseUrl: string, rawUrl: string): string {
  return `${toWebSocketOrigin(publicBaseUrl)}${pathAndQuery(rawUrl)}`;
}

/** `https://host` → `wss://host`: the origin of every `<Stream url>` this server hands out. */
export function toWebSocketOrigin(publicBaseUrl: string): string {
  const url = new URL(publicBaseUrl);
  return `wss://${url.host}`;
}

/**
 * True when `signature` is Twilio's signature of `url` and `params` under `authToken`. A missing or empty
 * signature is refused. Comparison is constant time inside `twilio.validateRequest`.
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: SignedParams,
): boolean {
  if (!signature) return false;
  const clean: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && !Array.isArray(value)) return false;
    clean[key] = typeof value === 'string' ? value : [...value];
  }
  try {
    return twilio.validateRequest(authToken, signature, url, clean);
  } catch {
    // A shape the library cannot sign (it throws "value is not iterable" on objects) is simply not Twilio's.
    return false;
  }
}
