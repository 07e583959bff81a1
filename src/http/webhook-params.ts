/**
 * Where a Twilio webhook's parameters are, by HTTP method. Twilio sends webhooks as form-encoded POSTs unless the
 * number (or TwiML App) is set to HTTP GET in the console; then the parameters travel in the query string and the
 * signature covers the full URL, query included, with no body parameters (the `twilio` package's `validateRequest`
 * and `getExpectedTwilioSignature`, lib/webhooks/webhooks.js).
 */
import type { FastifyRequest } from 'fastify';
import type { SignedParams } from '../telephony/signature.js';

/** HTTP methods the voice and status webhooks accept. */
export const WEBHOOK_METHODS = ['GET', 'POST'] as const;

function asParams(value: unknown): SignedParams {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SignedParams) : {};
}

/** The webhook's parameters: the query string of a GET, the form body of a POST. */
export function webhookParams(request: FastifyRequest): SignedParams {
  return asParams(request.method === 'GET' ? request.query : request.body);
}
