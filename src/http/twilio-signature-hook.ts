/**
 * Fastify hooks that refuse any request whose `X-Twilio-Signature` does not match. They run at `preValidation`
 * (after the form body is parsed, before any handler), so a forged request gets 403 and nothing else happens.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitedLog } from '../rate-limited-log.js';
import type { ConnectionGuard } from './connection-guard.js';
import { isValidTwilioSignature, mediaSignedUrl, webhookSignedUrl, type SignedParams } from '../telephony/signature.js';

/** Header Twilio signs every webhook and media upgrade with. */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/** A Fastify preValidation hook. */
export type SignatureHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

function signatureOf(request: FastifyRequest): string | undefined {
  const value = request.headers[TWILIO_SIGNATURE_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The form parameters of a parsed body, or undefined when the body is not a form of strings (a JSON object that
 * slipped past the content-type check, nested values): such a request can never carry a valid Twilio signature.
 */
function formParams(body: unknown): SignedParams | undefined {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) return undefined;
  for (const value of Object.values(body)) {
    if (typeof value === 'string') continue;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) continue;
    return undefined;
  }
  return body as SignedParams;
}

async function refuse(request: FastifyRequest, reply: FastifyReply, kind: string, peerLog: RateLimitedLog | undefined): Promise<void> {
  const fields = { route: request.routeOptions.url, hasSignature: signatureOf(request) !== undefined, kind };
  if (peerLog) peerLog.warn(fields, 'twilio signature refused');
  else request.log.warn(fields, 'twilio signature refused');
  await reply.code(403).send();
}

/**
 * Checks a webhook against `publicBaseUrl` + path (+ query) and its form parameters: the form body of a POST, none
 * for a GET (its query string is part of the signed URL; see `webhook-params.ts`).
 */
export function webhookSignatureHook(
  authToken: string,
  publicBaseUrl: string,
  peerLog?: RateLimitedLog,
  guard?: ConnectionGuard,
): SignatureHook {
  return async function verifyWebhookSignature(request, reply) {
    const url = webhookSignedUrl(publicBaseUrl, request.url);
    const params = request.method === 'GET' ? {} : formParams(request.body);
    if (params === undefined || !isValidTwilioSignature(authToken, signatureOf(request), url, params)) {
      await refuse(request, reply, 'webhook', peerLog);
      return;
    }
    guard?.trust(request.raw.socket);
  };
}

/** Checks a media socket upgrade (a GET, no body) against the `wss://` URL with empty parameters. */
export function upgradeSignatureHook(authToken: string, publicBaseUrl: string, peerLog?: RateLimitedLog): SignatureHook {
  return async function verifyUpgradeSignature(request, reply) {
    const url = mediaSignedUrl(publicBaseUrl, request.url);
    if (!isValidTwilioSignature(authToken, signatureOf(request), url, {})) {
      await refuse(request, reply, 'media-upgrade', peerLog);
    }
  };
}
