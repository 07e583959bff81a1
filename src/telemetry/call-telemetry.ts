/**
 * Everything that watches calls, assembled once for the server: the call record store (migrated at boot, pruned
 * at boot and daily), the records sink, the Prometheus metrics, the calls API and `/metrics` routes, all behind one
 * `CallObserver` for the call manager.
 */
import type { CallObserver } from '../call/call-observer.js';
import type { Config } from '../config.js';
import type { RouteRegistrar } from '../http/app.js';
import { registerCallsApiRoute } from '../http/calls-api-route.js';
import { registerConsoleRoutes } from '../console/console-routes.js';
import { LiveCallBoard } from '../console/live-board.js';
import { registerMetricsRoute } from '../http/metrics-route.js';
import { createMetricsSink } from '../metrics/metrics-sink.js';
import type { VoicebotMetrics } from '../metrics/voicebot-metrics.js';
import { MS_PER_DAY } from '../infrastructure/checkpointer.js';
import type { Logger } from '../logger.js';
import { createCallRecordStore, type CallRecordStore } from '../records/call-record-store.js';
import { createRecordsSink, type RecordsSink } from '../records/records-sink.js';
import type { Clock } from '../telephony/clock.js';
import { WebhookOutbox, type WebhookFetch } from '../webhooks/webhook-outbox.js';
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
  /** Live calls, as the console shows them. */
  readonly live: LiveCallBoard;
  /** The post-call webhook's outbox, when `CALL_WEBHOOK_URL` is set. */
  readonly outbox: WebhookOutbox | undefined;
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
  /** HTTP client of the webhook outbox (tests); `fetch` otherwise. */
  readonly webhookFetch?: WebhookFetch | undefined;
}

/** Opens the store (throws a readable error at boot when it cannot) and builds the sinks and routes. */
export async function startCallTelemetry(options: CallTelemetryOptions): Promise<CallTelemetry> {
  const { config, logger, clock } = options;
  const records = options.store ?? (await createCallRecordStore(config, { logger }));
  const webhook = config.records.webhook;
  const outbox = webhook
    ? new WebhookOutbox({ db: records.db, config: webhook, logger, ...(options.webhookFetch ? { fetch: options.webhookFetch } : {}) })
    : undefined;
  const enqueue = async (type: 'call.started' | 'call.ended', callSid: string, data: unknown): Promise<void> => {
    await outbox?.enqueue(type, callSid, data).catch((error: unknown) => logger.warn({ err: error, callSid, type }, 'webhook event could not be stored'));
  };
  const recordsSink = createRecordsSink({
    store: records,
    config: config.records,
    model: config.openai.realtimeModel,
    clock,
    logger,
    ...(outbox
      ? {
          onStarted: (call) => void enqueue('call.started', call.callSid, call),
          // Awaited by the sink, so shutdown waits until the event is in the outbox.
          onFinished: (callSid) =>
            records.getCall(callSid).then(
              async (record) => {
                if (record) await enqueue('call.ended', callSid, record);
              },
              (error: unknown) => logger.warn({ err: error, callSid }, 'finished call record could not be read for the webhook'),
            ),
        }
      : {}),
  });
  outbox?.start();
  const metricsSink = createMetricsSink();
  const live = new LiveCallBoard({ phoneNumbers: config.records.phoneNumbers });
  const sinks: TelemetrySink[] = [recordsSink, metricsSink, live];
  const observer = createTelemetryHub({ sinks, clock, logger });
  const routes: RouteRegistrar[] = [
    (app) => registerCallsApiRoute(app, { store: records, adminApiKey: config.records.adminApiKey }),
    (app) => registerMetricsRoute(app, { registry: metricsSink.metrics.registry, bearerToken: config.records.metricsBearerToken }),
    (app, context) =>
      registerConsoleRoutes(app, context, { adminApiKey: config.records.adminApiKey, board: live, records, softphone: config.consoleSoftphone }),
  ];

  const retentionDays = config.records.retentionDays;
  const prune = async (): Promise<number> => {
    const deleted = await records.pruneCalls(retentionDays);
    await outbox?.store.prune(Date.now() - retentionDays * MS_PER_DAY);
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
    live,
    outbox,
    prune,
    close() {
      closed ??= (async () => {
        clearInterval(pruneTimer);
        await recordsSink.settled();
        await outbox?.close();
        if (!options.store) await records.close();
      })();
      return closed;
    },
  };
}
