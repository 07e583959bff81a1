/**
 * `GET /metrics`: the Prometheus text exposition of the bot's registry, behind `Authorization: Bearer
 * <METRICS_BEARER_TOKEN>` when that is set (open otherwise: keep it on a private network then).
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { requireBearer } from './bearer-auth.js';

/** Path of the metrics endpoint. */
export const METRICS_PATH = '/metrics';

/** Registers `GET /metrics`. */
export function registerMetricsRoute(app: FastifyInstance, options: { readonly registry: Registry; readonly bearerToken: string | undefined }): void {
  const { registry, bearerToken } = options;
  app.get(METRICS_PATH, async function metrics(request, reply) {
    if (bearerToken !== undefined && !requireBearer(request, reply, bearerToken)) return reply;
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });
}
