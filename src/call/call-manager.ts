/**
 * The production `CallHandler`: pre-warms a Realtime session when the voice webhook is answered, builds one
 * `CallSession` per authenticated media stream (transport ⇄ `RealtimeService` ⇄ orchestrator), and ends every call
 * on shutdown. Per-call state lives in the sessions; the manager only indexes them by CallSid.
 */
import { attachCallActions, type AttachedCallActions } from '../actions/call-actions-wiring.js';
import { grantedToolNames } from '../actions/call-settings.js';
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
import { CONTEXT_PARAMETER_PREFIX } from '../telephony/twiml.js';
import { PrewarmedSessions } from './prewarmed-sessions.js';

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
  readonly #endedReasons = new Map<string, { readonly reason: CallEndReason; readonly timer: TimerHandle }>();
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
    let client: RealtimeClientLike;
    let connected: Promise<void>;
    if (prewarmed) {
      client = prewarmed.client;
      // A stream that asked for another agent or carries call context gets its instructions once the session is open.
      const prewarmedFits = agent === catalogue.defaultAgent && parameters === undefined;
      connected = prewarmedFits ? prewarmed.connected : prewarmed.connected.then(() => client.updateInstructions(instructions));
    } else {
      client = this.#buildClient(agent, logger, start.callSid, instructions);
      connected = client.connect();
    }
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
    // Every way a stream ends on our side today warrants the default apology and hang-up; the reason is logged.
    const reason = this.#endedReasons.get(callSid)?.reason;
    this.#log.info({ callSid, reason }, 'stream-ended fallback requested');
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
    const timer = this.#clock.setTimeout(() => this.#endedReasons.delete(summary.callSid), ENDED_CALL_MEMORY_MS);
    this.#endedReasons.set(summary.callSid, { reason: summary.reason, timer });
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
