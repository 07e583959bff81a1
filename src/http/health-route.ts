/**
 * `GET /healthz`: liveness (the process answers), says nothing about calls. `GET /readyz`: readiness for load
 * balancers: 200 while the instance takes new calls, 503 from the moment a drain begins (SIGTERM/SIGINT), so the
 * balancer stops routing new calls here while live calls go on.
 */
import type { FastifyInstance } from 'fastify';
import type { DrainState } from '../deploy/drain-state.js';

/** Path of the health (liveness) check. */
export const HEALTH_PATH = '/healthz';
/** Path of the readiness check. */
export const READY_PATH = '/readyz';

/** Registers the health and readiness checks; without a drain state the instance is always ready. */
export function registerHealthRoute(app: FastifyInstance, drain?: DrainState): void {
  app.get(HEALTH_PATH, async function health() {
    return { status: 'ok' };
  });
  app.get(READY_PATH, async function ready(_request, reply) {
    if (drain && !drain.ready) return reply.code(503).send({ status: drain.phase });
    return { status: 'ready' };
  });
}
