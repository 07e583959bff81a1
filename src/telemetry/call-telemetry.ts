/**
 * Everything that watches calls, assembled once for the server: the call record store (migrated at boot, pruned
 * at boot and daily), the records sink, the Prometheus metrics, the calls API and `/metrics` routes, all behind one
 * `CallObserver` for the call manager.
 */
import type { CallObserver } from '../call/call-observer.js';
import type { Config } from '../config.js';
import type { RouteRegistrar } from '../http/app.js';
import { registerCallsApiRoute } from '../http/calls-api-route.js';
import { registerMetricsRoute } from '../http/metrics-route.js';
import { createMetricsSink } from '../metrics/metrics-sink.js';
import type { VoicebotMetrics } from '../metrics/voicebot-metrics.js';
import { MS_PER_DAY } from '../infrastructure/checkpointer.js';
import type { Logger } from '../logger.js';
import { createCallRecordStore, type CallRecordStore } from '../records/call-record-store.js';
import { createRecordsSink, type RecordsSink } from '../records/records-sink.js';
import type { Clock } from '../telephony/clock.js';
import { createTelemetryHub, type TelemetrySink } from './telemetry-hub.js';

/** How often old call records are pruned while the server runs (also once at boot). */
export const RECORD_PRUNE_INTERVAL_MS = MS_PER_DAY;

/** What the server gets. */
export interface CallTelemetry {
  readonly observer: CallObserver;
  readonly routes: readonly RouteRegistrar[];
  readonly records: CallRecordStore;
  readonly recordsSink: RecordsSink;
  readonly metrics: VoicebotMetrics;
  /** Deletes records past the retention; resolves how many calls were deleted. */
  prune(): Promise<number>;
  /** Waits for record writes in flight, stops timers, closes the store (unless it was passed in). */
  close(): Promise<void>;
}

/** Options of {@link startCallTelemetry}. */
export interface CallTelemetryOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  /** A store the caller owns (tests); opened from the config and closed on `close()` otherwise. */
  readonly store?: CallRecordStore | undefined;
}

/** Opens the store (throws a readable error at boot when it cannot) and builds the sinks and routes. */
export async function startCallTelemetry(options: CallTelemetryOptions): Promise<CallTelemetry> {
  const { config, logger, clock } = options;
  const records = options.store ?? (await createCallRecordStore(config, { logger }));
  const recordsSink = createRecordsSink({
    store: records,
    config: config.records,
    model: config.openai.realtimeModel,
    clock,
    logger,
  });
  const metricsSink = createMetricsSink();
  const sinks: TelemetrySink[] = [recordsSink, metricsSink];
  const observer = createTelemetryHub({ sinks, clock, logger });
  const routes: RouteRegistrar[] = [
    (app) => registerCallsApiRoute(app, { store: records, adminApiKey: config.records.adminApiKey }),
    (app) => registerMetricsRoute(app, { registry: metricsSink.metrics.registry, bearerToken: config.records.metricsBearerToken }),
  ];

  const retentionDays = config.records.retentionDays;
  const prune = async (): Promise<number> => {
    const deleted = await records.pruneCalls(retentionDays);
    if (deleted > 0) logger.info({ deleted, retentionDays }, 'old call records pruned');
    return deleted;
  };
  const pruneLogged = (): void => void prune().catch((error: unknown) => logger.warn({ err: error }, 'pruning call records failed'));
  pruneLogged();
  const pruneTimer = setInterval(pruneLogged, RECORD_PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  let closed: Promise<void> | undefined;
  return {
    observer,
    routes,
    records,
    recordsSink,
    metrics: metricsSink.metrics,
    prune,
    close() {
      closed ??= (async () => {
        clearInterval(pruneTimer);
        await recordsSink.settled();
        if (!options.store) await records.close();
      })();
      return closed;
    },
  };
}
