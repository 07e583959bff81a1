/**
 * The production `CallHandler`: pre-warms a Realtime session when the voice webhook is answered, builds one
 * `CallSession` per authenticated media stream (transport ⇄ `RealtimeService` ⇄ orchestrator), and ends every call
 * on shutdown. Per-call state lives in the sessions; the manager only indexes them by CallSid.
 */
import { attachCallActions, type AttachedCallActions } from '../actions/call-actions-wiring.js';
import { callSettingsFor, grantedToolNames } from '../actions/call-settings.js';
import { createCallTools } from '../actions/call-tools.js';
import type { TwilioCallControl } from '../actions/twilio-call-control.js';
import type { Config } from '../config.js';
import type { AgentCatalogue } from '../domain/agent-catalogue.js';
import { buildInstructions } from '../domain/instructions.js';
import type { OrchestratorFactory } from '../domain/orchestrator-factory.js';
import { toError } from '../errors.js';
import { RealtimeClient, type RealtimeClientOptions } from '../infrastructure/realtime-client.js';
import type { RealtimeClientLike } from '../infrastructure/realtime-client-events.js';
import type { Logger } from '../logger.js';
import { RealtimeService } from '../service/realtime-service.js';
import { serviceConfigFrom } from '../service/service-config.js';
import type { ServiceEvent } from '../service/service-events.js';
import type { CallHandler, IncomingCall, StartedStream, StatusCallback } from '../telephony/call-handler.js';
import { systemClock, type Clock, type TimerHandle } from '../telephony/clock.js';
import { CallSession, type CallEndReason, type CallSummary } from './call-session.js';
import { CONTEXT_PARAMETER_PREFIX, renderSayAndHangup } from '../telephony/twiml.js';
import { MediaWatchdog } from './media-watchdog.js';
import { PrewarmedSessions } from './prewarmed-sessions.js';
import { ResponseWatchdog } from './response-watchdog.js';

/** Builds one Realtime connection; production passes the real `RealtimeClient`, tests may wrap or fake it. */
export type RealtimeClientFactory = (options: RealtimeClientOptions) => RealtimeClientLike;

/** Options for {@link CallManager}. */
export interface CallManagerOptions {
  readonly config: Config;
  readonly catalogue: AgentCatalogue;
  readonly createOrchestrator: OrchestratorFactory;
  readonly logger: Logger;
  readonly createRealtimeClient?: RealtimeClientFactory;
  readonly clock?: Clock;
  readonly prewarmTtlMs?: number;
  /** Called after each call's teardown (call records, tests, the demo). */
  readonly onCallEnded?: (summary: CallSummary) => void;
  /** Observes every service event of every call (metrics, the demo's live transcript); must not throw. */
  readonly onServiceEvent?: (callSid: string, event: ServiceEvent) => void;
  /** Twilio REST control; when set, calls get the telephony tools, DTMF relay and idle/duration timers. */
  readonly callControl?: TwilioCallControl;
}

/** How long a finished call's end reason is kept for the `<Connect action>` fallback request. */
const ENDED_CALL_MEMORY_MS = 60_000;

/**
 * With REST control the call timers end a call at its maximum duration politely (closing line, then a REST
 * hang-up); the hard stop of the media watchdog follows only this much later, if that path failed.
 */
const MAX_DURATION_GRACE_WITH_REST_MS = 30_000;

/** The watchdogs of one live call, stopped at teardown. */
interface CallWatchdogs {
  readonly responses: ResponseWatchdog;
  readonly media: MediaWatchdog;
}

const defaultClientFactory: RealtimeClientFactory = (options) => new RealtimeClient(options);

/** Owns every call of this process. */
export class CallManager implements CallHandler {
  readonly #options: CallManagerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #createClient: RealtimeClientFactory;
  readonly #prewarmed: PrewarmedSessions;
  readonly #calls = new Map<string, CallSession>();
  readonly #actions = new Map<string, AttachedCallActions>();
  readonly #running = new Set<Promise<void>>();
  readonly #endedReasons = new Map<string, { readonly reason: CallEndReason; readonly agent: string; readonly timer: TimerHandle }>();
  readonly #watchdogs = new Map<string, CallWatchdogs>();
  #closing = false;

  constructor(options: CallManagerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger;
    this.#createClient = options.createRealtimeClient ?? defaultClientFactory;
    this.#prewarmed = new PrewarmedSessions({
      clock: this.#clock,
      logger: options.logger,
      ...(options.prewarmTtlMs === undefined ? {} : { ttlMs: options.prewarmTtlMs }),
    });
  }

  /** Calls with a live media stream. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Sessions opened while ringing and not yet adopted by a stream. */
  get prewarmedSessions(): number {
    return this.#prewarmed.size;
  }

  onCallAnswered(call: IncomingCall): void {
    if (this.#closing) return;
    const agent = this.#options.catalogue.defaultAgent;
    const client = this.#buildClient(agent, this.#log.child({ callSid: call.callSid }), call.callSid, buildInstructions(this.#options.catalogue, agent));
    if (this.#prewarmed.open(call.callSid, client)) this.#log.debug({ callSid: call.callSid }, 'realtime session pre-warming');
  }

  onStreamStarted({ start, transport, logger }: StartedStream): void {
    if (this.#closing) {
      transport.close('server shutting down');
      return;
    }
    const { catalogue } = this.#options;
    const requested = start.customParameters.agent;
    const agent = requested !== undefined && catalogue.agentsByName.has(requested) ? requested : catalogue.defaultAgent;
    const parameters = contextParameters(start.customParameters);
    const orchestrator = this.#options.createOrchestrator(start.callSid, { initialAgent: agent, instructionParameters: parameters, logger });
    const instructions = buildInstructions(catalogue, agent, { parameters });

    const prewarmed = this.#prewarmed.adopt(start.callSid);
    let rawClient: RealtimeClientLike;
    let connected: Promise<void>;
    if (prewarmed) {
      rawClient = prewarmed.client;
      // A stream that asked for another agent or carries call context gets its instructions once the session is open.
      const prewarmedFits = agent === catalogue.defaultAgent && parameters === undefined;
      const adopted = rawClient;
      connected = prewarmedFits ? prewarmed.connected : prewarmed.connected.then(() => adopted.updateInstructions(instructions));
    } else {
      rawClient = this.#buildClient(agent, logger, start.callSid, instructions);
      connected = rawClient.connect();
    }
    const { liveness } = this.#options.config;
    // Every response of the call is watched: a stalled or failed one is retried once, then the call is handed over.
    const responses = new ResponseWatchdog({
      client: rawClient,
      clock: this.#clock,
      logger,
      timeoutMs: liveness.responseWatchdogMs,
      onGiveUp: () => void session.end('realtime_unresponsive'),
    });
    const client = responses.client;
    const greeting = catalogue.agentsByName.get(agent)?.greeting;
    const service = new RealtimeService(
      serviceConfigFrom(this.#options.config, {
        name: agent,
        initialInstruction: instructions,
        greeting: greeting === undefined ? undefined : `Greet the caller now with exactly these words: "${greeting}"`,
      }),
      orchestrator,
      { client, playback: transport, logger, callSid: start.callSid },
    );
    const observe = this.#options.onServiceEvent;
    if (observe) service.on((event) => observe(start.callSid, event));
    const session = new CallSession({
      callSid: start.callSid,
      streamSid: start.streamSid,
      transport,
      service,
      orchestrator,
      connected,
      initialAgent: agent,
      logger,
      clock: this.#clock,
      onEnded: (summary) => this.#onEnded(session, summary),
    });
    this.#calls.set(start.callSid, session);
    const control = this.#options.callControl;
    const media = new MediaWatchdog({
      lastMessageAt: () => transport.lastMessageAt,
      clock: this.#clock,
      logger,
      silenceTimeoutMs: liveness.mediaWatchdogMs,
      maxDurationMs: () => callSettingsFor(catalogue, session.agent).maxDuration.minutes * 60_000,
      graceMs: control ? MAX_DURATION_GRACE_WITH_REST_MS : 0,
      onExpired: (reason) => void session.end(reason),
    });
    this.#watchdogs.set(start.callSid, { responses, media });
    media.start();
    if (control) {
      const attached = attachCallActions({
        callSid: start.callSid,
        transport,
        realtime: client,
        control,
        catalogue,
        currentAgent: () => session.agent,
        orchestrator,
        logger,
        clock: this.#clock,
      });
      this.#actions.set(start.callSid, attached);
    }
    logger.info({ agent, prewarmed: prewarmed !== undefined }, 'call started');
    const running = session.run().catch((error: unknown) => {
      logger.error({ err: toError(error) }, 'call failed');
      return session.end('handler_failed').then(() => undefined);
    });
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  streamEndedTwiml(callSid: string): string | undefined {
    // A call closed at its maximum duration hears its agent's closing line; every other end the default apology.
    const ended = this.#endedReasons.get(callSid);
    // Debug: the request can be replayed; the route writes the rate-limited line.
    this.#log.debug({ callSid, reason: ended?.reason }, 'stream-ended fallback requested');
    if (ended?.reason === 'max_duration') {
      return renderSayAndHangup(callSettingsFor(this.#options.catalogue, ended.agent).maxDuration.closingLine);
    }
    return undefined;
  }

  onStatus(status: StatusCallback): void {
    if (status.callStatus === 'completed' || status.callStatus === 'canceled' || status.callStatus === 'failed') {
      // A call that ended while ringing never opens its stream: release its pre-warmed session now, not at the TTL.
      const prewarmed = this.#prewarmed.adopt(status.callSid);
      if (prewarmed) void prewarmed.client.disconnect().catch(() => undefined);
    }
  }

  /** The live call with this CallSid, if any. */
  call(callSid: string): CallSession | undefined {
    return this.#calls.get(callSid);
  }

  /** Ends every call and pre-warmed session (server shutdown); resolves when all teardowns are done. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#calls.values()].map((session) => session.end('server_shutdown')));
    await Promise.allSettled([...this.#running]);
    await this.#prewarmed.closeAll();
    for (const { timer } of this.#endedReasons.values()) this.#clock.clearTimeout(timer);
    this.#endedReasons.clear();
  }

  #buildClient(agent: string, logger: Logger, callSid: string, instructions: string): RealtimeClientLike {
    const { config, catalogue } = this.#options;
    // The tool list is fixed when the session opens (maybe while ringing); each tool finds the call's actions when run.
    const tools = this.#options.callControl ? createCallTools(grantedToolNames(catalogue), () => this.#actions.get(callSid)?.actions) : undefined;
    return this.#createClient({
      name: agent,
      instructions,
      model: config.openai.realtimeModel,
      voice: config.openai.voice,
      apiKey: config.openai.apiKey,
      url: config.openai.realtimeUrl,
      connectTimeoutMs: config.liveness.realtimeConnectTimeoutMs,
      pingIntervalMs: config.liveness.realtimePingIntervalMs,
      pongTimeoutMs: config.liveness.realtimePongTimeoutMs,
      ...(tools ? { tools } : {}),
      logger,
    });
  }

  #onEnded(session: CallSession, summary: CallSummary): void {
    if (this.#calls.get(session.callSid) === session) this.#calls.delete(session.callSid);
    // Bounded: the fallback request comes within seconds; forget the reason after a minute.
    const watchdogs = this.#watchdogs.get(summary.callSid);
    this.#watchdogs.delete(summary.callSid);
    watchdogs?.responses.stop();
    watchdogs?.media.stop();
    const timer = this.#clock.setTimeout(() => this.#endedReasons.delete(summary.callSid), ENDED_CALL_MEMORY_MS);
    this.#endedReasons.set(summary.callSid, { reason: summary.reason, agent: summary.finalAgent, timer });
    const attached = this.#actions.get(summary.callSid);
    this.#actions.delete(summary.callSid);
    // A transfer also ends with Twilio's `stop`: the outcome, not the end reason, says where the caller went.
    const record = attached ? { ...summary, ...attached.detach() } : summary;
    try {
      this.#options.onCallEnded?.(record);
    } catch (error) {
      this.#log.error({ err: toError(error) }, 'call ended listener failed');
    }
  }
}

/**
 * The call context an outbound call carried as `ctx.<key>` stream parameters (see `renderOutboundConnectStream`),
 * or undefined when there is none. It reaches every instruction body built for the call.
 */
function contextParameters(custom: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const entries = Object.entries(custom).filter(([key]) => key.startsWith(CONTEXT_PARAMETER_PREFIX));
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([key, value]) => [key.slice(CONTEXT_PARAMETER_PREFIX.length), value]));
}
