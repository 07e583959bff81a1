/** `GET /healthz`: liveness for load balancers and the dev tunnel; says nothing about calls. */
import type { FastifyInstance } from 'fastify';

/** Path of the health check. */
export const HEALTH_PATH = '/healthz';

/** Registers the health check. */
export function registerHealthRoute(app: FastifyInstance): void {
  app.get(HEALTH_PATH, async function health() {
    return { status: 'ok' };
  });
}
