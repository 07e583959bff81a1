/**
 * Fastify hooks that refuse any request whose `X-Twilio-Signature` does not match. They run at `preValidation`
 * (after the form body is parsed, before any handler), so a forged request gets 403 and nothing else happens.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isValidTwilioSignature, mediaSignedUrl, webhookSignedUrl } from '../telephony/signature.js';
import { signedWebhookParams } from './webhook-params.js';

/** Header Twilio signs every webhook and media upgrade with. */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/** A Fastify preValidation hook. */
export type SignatureHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

function signatureOf(request: FastifyRequest): string | undefined {
  const value = request.headers[TWILIO_SIGNATURE_HEADER];
  return typeof value === 'string' ? value : undefined;
}

async function refuse(request: FastifyRequest, reply: FastifyReply, kind: string): Promise<void> {
  request.log.warn({ route: request.routeOptions.url, hasSignature: signatureOf(request) !== undefined, kind }, 'twilio signature refused');
  await reply.code(403).send();
}

/** Checks a webhook against `publicBaseUrl` + path (+ query) and its form parameters (none for a GET webhook). */
export function webhookSignatureHook(authToken: string, publicBaseUrl: string): SignatureHook {
  return async function verifyWebhookSignature(request, reply) {
    const url = webhookSignedUrl(publicBaseUrl, request.url);
    if (!isValidTwilioSignature(authToken, signatureOf(request), url, signedWebhookParams(request))) {
      await refuse(request, reply, 'webhook');
    }
  };
}

/** Checks a media socket upgrade (a GET, no body) against the `wss://` URL with empty parameters. */
export function upgradeSignatureHook(authToken: string, publicBaseUrl: string): SignatureHook {
  return async function verifyUpgradeSignature(request, reply) {
    const url = mediaSignedUrl(publicBaseUrl, request.url);
    if (!isValidTwilioSignature(authToken, signatureOf(request), url, {})) {
      await refuse(request, reply, 'media-upgrade');
    }
  };
}
