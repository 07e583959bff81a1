/**
 * Refuses new calls once the drain's grace period is over: the voice webhook (Twilio then tries the number's
 * fallback URL, i.e. the balancer, which routes to a ready instance) and `POST /calls` get 503. Everything a live
 * call needs goes on: its media socket, `/twilio/stream-ended`, status callbacks, `GET /calls/:callSid`.
 */
import type { FastifyInstance } from 'fastify';
import { CALLS_PATH } from '../http/calls-route.js';
import { VOICE_PATH } from '../http/twilio-webhook-routes.js';
import type { DrainState } from './drain-state.js';

/** Seconds a refused client is told to wait (`Retry-After`): another instance answers at once. */
const RETRY_AFTER_S = 1;

/** True for a request that would start a new call. */
function startsCall(method: string, path: string): boolean {
  if (path === VOICE_PATH) return method === 'POST' || method === 'GET';
  return path === CALLS_PATH && method === 'POST';
}

/** Adds the gate as an app-wide `onRequest` hook (before body parsing and signature checks: refusing costs nothing). */
export function registerDrainGate(app: FastifyInstance, drain: DrainState): void {
  app.addHook('onRequest', async function drainGate(request, reply) {
    if (drain.acceptsNewCalls) return;
    const path = request.url.split('?', 1)[0] ?? '';
    if (!startsCall(request.method, path)) return;
    request.log.debug({ method: request.method, path }, 'new call refused: instance draining');
    return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).header('connection', 'close').send({ error: 'draining' });
  });
}
