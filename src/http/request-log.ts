/**
 * Request logging that a flood cannot turn into a log flood. Fastify's own per-request lines (`incoming request`,
 * `request completed`, 4xx errors) are switched off in `buildApp`; these hooks write the same facts through the
 * app's `RateLimitedLog` (the first few per kind, then periodic counts). 5xx errors are kept as errors, also
 * rate-limited: they are our bugs, but a peer can repeat the request that triggers one.
 */
import type { FastifyInstance } from 'fastify';
import type { RateLimitedLog } from '../rate-limited-log.js';

/** Registers `onResponse` and `onError` hooks that log through `peerLog`. */
export function registerRequestLog(app: FastifyInstance, peerLog: RateLimitedLog): void {
  app.addHook('onResponse', async function logResponse(request, reply) {
    const fields = { method: request.method, route: request.routeOptions.url ?? 'unmatched', statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) peerLog.log('error', fields, 'request failed');
    else if (reply.statusCode >= 400) peerLog.info(fields, 'request refused');
    else peerLog.info(fields, 'request completed');
  });
  app.addHook('onError', async function logError(request, reply, error) {
    const fields = { method: request.method, route: request.routeOptions.url ?? 'unmatched', statusCode: reply.statusCode, code: (error as { code?: unknown }).code };
    if (reply.statusCode >= 500) peerLog.log('error', { ...fields, err: error }, 'request handler error');
    else peerLog.info({ ...fields, reason: error.message }, 'request rejected');
  });
}
