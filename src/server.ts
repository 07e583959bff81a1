/**
 * Assembles the whole voice bot from a validated `Config`: agent catalogue, checkpoint store, intent classifier,
 * orchestrator factory, call manager and the Fastify app. `src/main.ts` listens on it; tests, the offline demo and
 * the benchmarks build the same thing with a few boundaries overridden (clock, Realtime client, store).
 */
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { createTwilioCallControl, type TwilioCallControl } from './actions/twilio-call-control.js';
import type { Config } from './config.js';
import { CallManager } from './call/call-manager.js';
import type { RealtimeClientFactory } from './infrastructure/openai-realtime/create-realtime-client.js';
import type { CallSummary } from './call/call-session.js';
import { loadAgentCatalogue, type AgentCatalogue } from './domain/agent-catalogue.js';
import type { IntentClassifier } from './domain/intent-classifier.js';
import { startOrchestration, type Orchestration, type OrchestratorThread } from './domain/orchestration.js';
import { callRecordingDecorator } from './fixtures/recording-media-socket.js';
import { DrainState } from './deploy/drain-state.js';
import { runDrain, type DrainReport } from './deploy/drain.js';
import { buildApp } from './http/app.js';
import { createMemorySharedCallState, openSharedCallState, type SharedCallState } from './store/shared-call-state.js';
import { SignedStreamTokens } from './telephony/signed-stream-token.js';
import type { StreamStartedBus } from './store/stream-started-bus.js';
import { openPostgresStreamStartedBus } from './store/postgres-stream-started-bus.js';
import type { MediaSocketDecorator } from './http/media-route.js';
import { createCheckpointer, MS_PER_DAY, type CheckpointStore } from './infrastructure/checkpointer.js';
import type { Logger } from './logger.js';
import type { ServiceEvent } from './service/service-events.js';
import { systemClock, type Clock } from './telephony/clock.js';
import { startCallTelemetry, type CallTelemetry } from './telemetry/call-telemetry.js';
import type { CallRecordStore } from './records/call-record-store.js';
import { twilioCallStatusLookup, type CallStatusLookup } from './telephony/call-status-verifier.js';

/** How often old orchestrator threads are pruned while the server runs (also once at boot). */
export const THREAD_PRUNE_INTERVAL_MS = MS_PER_DAY / 4;

/** Boundaries a caller may replace; production passes none of them. */
export interface VoiceBotOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly catalogue?: AgentCatalogue;
  readonly store?: CheckpointStore;
  readonly classifier?: IntentClassifier;
  /**
   * Where the intent graph runs: `worker` (a worker thread, off the audio's event loop) unless a `store` or
   * `classifier` object is passed, which cannot cross a thread and so runs it on `main`.
   */
  readonly orchestratorThread?: OrchestratorThread;
  readonly createRealtimeClient?: RealtimeClientFactory;
  readonly onCallEnded?: (summary: CallSummary) => void;
  readonly onServiceEvent?: (callSid: string, event: ServiceEvent) => void;
  readonly decorateMediaSocket?: MediaSocketDecorator;
  /** Twilio REST control (tests pass a fake); built from `TWILIO_ACCOUNT_SID` when omitted, none without it. */
  readonly callControl?: TwilioCallControl;
  /** Open each call's Realtime session while the phone rings (default true); false waits for the stream. */
  readonly prewarm?: boolean;
  /**
   * Stream-token uses and answered CallSids shared by the instances. When omitted: opened like the record store, or
   * in memory when a checkpoint `store` object is passed (tests and benchmarks, whose fixed CallSids must be
   * answerable again on the next run).
   */
  readonly sharedState?: SharedCallState;
  /** Call record store (tests pass a memory one); opened from `DATABASE_URL` / `DATA_DIR` when omitted. */
  readonly recordStore?: CallRecordStore;
  /**
   * Twilio REST lookup of a call's status, used to verify a new CallSid before it is answered (tests pass a fake);
   * built from `TWILIO_ACCOUNT_SID` when omitted, none without it.
   */
  readonly callStatusLookup?: CallStatusLookup;
  /**
   * Announces admitted streams to the other instances (and hears theirs) so an unused pre-warm is closed at once.
   * When omitted: Postgres `LISTEN/NOTIFY` with `DATABASE_URL` (unless a checkpoint `store` object is passed, as in
   * tests and harnesses), none otherwise (one instance on SQLite).
   */
  readonly streamStartedBus?: StreamStartedBus;
}

/** The assembled server, not yet listening. */
export interface VoiceBot {
  readonly app: FastifyInstance;
  readonly calls: CallManager;
  readonly catalogue: AgentCatalogue;
  readonly store: CheckpointStore;
  /** Call records, metrics and the webhook outbox. */
  readonly telemetry: CallTelemetry;
  /** The instance's drain phase (`/readyz`, the new-call gate). */
  readonly drainState: DrainState;
  /**
   * The graceful shutdown of SIGTERM/SIGINT (`src/deploy/drain.ts`): not ready at once, new calls refused after
   * `DRAIN_GRACE_S`, live calls served until they end or `DRAIN_TIMEOUT_S`, then `close()`. Idempotent.
   */
  drain(): Promise<DrainReport>;
  /** Ends every call (each caller hears the fallback), closes the app, the intent worker and the store; idempotent. */
  close(): Promise<void>;
}

/** Builds the voice bot; throws a readable error at boot (bad catalogue, unreachable database). */
export async function createVoiceBot(config: Config, options: VoiceBotOptions): Promise<VoiceBot> {
  const { logger } = options;
  const catalogue = options.catalogue ?? (await loadAgentCatalogue(config.agentsFile));
  const store = options.store ?? (await createCheckpointer(config, { logger }));
  let orchestration: Orchestration | undefined;
  let telemetry: CallTelemetry | undefined;
  let shared: SharedCallState | undefined;
  let bus: StreamStartedBus | undefined;
  try {
    // Stream tokens' single use and the answered CallSids, shared by every instance on the same database.
    shared = options.sharedState ?? (options.store ? await createMemorySharedCallState(config) : await openSharedCallState(config, { logger }));
    const sharedState = shared;
    bus =
      options.streamStartedBus ??
      (config.databaseUrl && !options.store ? await openPostgresStreamStartedBus({ connectionString: config.databaseUrl, logger }) : undefined);
    const streamStartedBus = bus;
    telemetry = await startCallTelemetry({ config, logger, clock: options.clock ?? systemClock, store: options.recordStore });
    const restClient = config.twilio.accountSid ? twilio(config.twilio.accountSid, config.twilio.authToken) : undefined;
    const callControl = options.callControl ?? (restClient ? createTwilioCallControl({ client: restClient, logger }) : undefined);
    const callStatusLookup = options.callStatusLookup ?? (restClient ? twilioCallStatusLookup(restClient) : undefined);
    if (!callControl) {
      logger.warn('TWILIO_ACCOUNT_SID is not set: calls have no telephony tools (hang-up, transfer, keypad digits), and the agents are told so');
    }
    const thread = options.orchestratorThread ?? (options.store || options.classifier ? 'main' : 'worker');
    const started = await startOrchestration({ config, catalogue, store, logger, thread, classifier: options.classifier });
    orchestration = started;
    const { createOrchestrator } = started;
    // One issuer for the voice webhook's tokens and the resume tokens of calls moved at a drain's end.
    const streamTokens = new SignedStreamTokens({ secret: config.twilio.authToken, ttlMs: config.streamTokenTtlMs });
    const calls = new CallManager({
      config,
      catalogue,
      createOrchestrator,
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.createRealtimeClient ? { createRealtimeClient: options.createRealtimeClient } : {}),
      ...(options.onCallEnded ? { onCallEnded: options.onCallEnded } : {}),
      ...(options.onServiceEvent ? { onServiceEvent: options.onServiceEvent } : {}),
      ...(callControl ? { callControl } : {}),
      ...(options.prewarm === undefined ? {} : { prewarm: options.prewarm }),
      observers: [telemetry.observer],
      ...(streamStartedBus ? { streamStartedBus } : {}),
      // The context holds what the caller said: with STORE_TRANSCRIPTS=false it stays in the call's memory (a reconnect on
      // this instance still uses it; a call live at the drain deadline then ends with the closing line, not moved).
      ...(config.records.storeTranscripts ? { contextStore: sharedState } : {}),
      streamTokens,
    });
    // With `RECORD_CALLS` set, every authenticated media socket is recorded as a call fixture.
    const decorateMediaSocket = options.decorateMediaSocket ?? callRecordingDecorator(config);
    const drainState = new DrainState();
    const app = await buildApp({
      config,
      logger,
      drain: drainState,
      admissions: sharedState,
      signedTokens: {
        tokens: streamTokens,
        useStreamToken: (nonce, callSid, expiresAtMs) => sharedState.useStreamToken(nonce, callSid, expiresAtMs),
        // Outbound calls placed by any instance (even one without REST control of its own) stream here too.
        outboundCalls: sharedState.outboundCalls,
      },
      callHandler: calls,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(decorateMediaSocket ? { decorateMediaSocket } : {}),
      ...(callStatusLookup ? { callStatusLookup } : {}),
      ...(callControl
        ? { outbound: { control: callControl, registry: sharedState.outboundCalls, agents: catalogue.agents.map((agent) => agent.name) } }
        : {}),
      routes: telemetry.routes,
    });

    const prune = (): void => {
      store.pruneThreads(config.threadRetentionDays).then(
        (deleted) => deleted > 0 && logger.info({ deleted, retentionDays: config.threadRetentionDays }, 'old call threads pruned'),
        (error: unknown) => logger.warn({ err: error }, 'pruning call threads failed'),
      );
    };
    prune();
    const pruneTimer = setInterval(prune, THREAD_PRUNE_INTERVAL_MS);
    pruneTimer.unref();

    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closed ??= (async () => {
        clearInterval(pruneTimer);
        await calls.close();
        await streamStartedBus?.close();
        await app.close();
        await started.close();
        await telemetry?.close();
        await sharedState.close();
        await store.close();
      })();
      return closed;
    };
    let drained: Promise<DrainReport> | undefined;
    const drain = (): Promise<DrainReport> => {
      drained ??= (async () => {
        const report = await runDrain({
          state: drainState,
          calls,
          logger,
          clock: options.clock ?? systemClock,
          graceMs: config.drain.graceMs,
          timeoutMs: config.drain.timeoutMs,
        });
        await close();
        return report;
      })();
      return drained;
    };
    return { app, calls, catalogue, store, telemetry, drainState, drain, close };
  } catch (error) {
    await orchestration?.close();
    await telemetry?.close();
    await bus?.close();
    await shared?.close();
    await store.close();
    throw error;
  }
}
