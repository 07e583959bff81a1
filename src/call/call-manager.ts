/**
 * The production `CallHandler`: pre-warms a Realtime session when the voice webhook is answered, builds one
 * `CallSession` per authenticated media stream (transport ⇄ `RealtimeService` ⇄ orchestrator), and ends every call
 * on shutdown. Per-call state lives in the sessions; the manager only indexes them by CallSid.
 */
import { attachCallActions, type AttachedCallActions } from '../actions/call-actions-wiring.js';
import { callSettingsFor, grantedToolNames } from '../actions/call-settings.js';
import { Keypad } from '../actions/keypad.js';
import { createCallTools } from '../actions/call-tools.js';
import type { TwilioCallControl } from '../actions/twilio-call-control.js';
import type { Config } from '../config.js';
import type { AgentCatalogue } from '../domain/agent-catalogue.js';
import { AGENT_TOOL_NAMES, type AgentToolName } from '../domain/agent-tools.js';
import { buildInstructions, greetingInstruction } from '../domain/instructions.js';
import type { OrchestratorFactory } from '../domain/orchestrator-factory.js';
import { toError } from '../errors.js';
import {
  createRealtimeClient,
  realtimeClientOptionsFrom,
  type RealtimeClientFactory,
} from '../infrastructure/openai-realtime/create-realtime-client.js';
import type { RealtimeClientLike } from '../infrastructure/realtime-client-events.js';
import type { Logger } from '../logger.js';
import { RealtimeService } from '../service/realtime-service.js';
import type { ServiceEvent } from '../service/service-events.js';
import type { CallHandler, IncomingCall, StartedStream, StatusCallback } from '../telephony/call-handler.js';
import { systemClock, type Clock, type TimerHandle } from '../telephony/clock.js';
import type { CallObserver, PrewarmReleaseCause } from './call-observer.js';
import { CallSession, type CallEndReason, type CallSummary } from './call-session.js';
import { ConversationRecorder, type ConversationContextStore } from './conversation-recorder.js';
import type { ConversationContext } from './conversation-context.js';
import { ReconnectingRealtimeClient } from './realtime-reconnect.js';
import { serviceSamplesPerMs } from '../audio/audio-format.js';
import { CONTEXT_PARAMETER_PREFIX, renderResumeConnectStream, renderSayAndHangup } from '../telephony/twiml.js';
import type { SignedStreamTokens } from '../telephony/signed-stream-token.js';
import { MediaWatchdog } from './media-watchdog.js';
import { MAX_PREWARMED_SESSIONS, PrewarmedSessions } from './prewarmed-sessions.js';
import { ResponseWatchdog } from './response-watchdog.js';
import type { StreamStartedBus } from '../store/stream-started-bus.js';

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
  /**
   * Twilio REST control; when set, calls get the telephony tools (hang-up, transfer, collect_digits) and the idle
   * and duration timers. Key presses reach the model and the orchestrator on every call, with or without it.
   */
  readonly callControl?: TwilioCallControl;
  /** Open the Realtime session while the phone rings (default true); false connects at the stream's `start`. */
  readonly prewarm?: boolean;
  /** Watch every call (call records, metrics, webhooks); see `CallObserver`. */
  readonly observers?: readonly CallObserver[];
  /**
   * Streams admitted on the other instances (Postgres `LISTEN/NOTIFY` with `DATABASE_URL`): this instance closes its
   * unused pre-warm of such a call at once, and announces the streams it admits without a pre-warm of its own.
   * None for one process.
   */
  readonly streamStartedBus?: StreamStartedBus;
  /**
   * Where each call's conversation context is written at each completed turn (production: the shared store), so a
   * resume on another instance can read it; without it the context lives in the call's state only.
   */
  readonly contextStore?: ConversationContextStore;
  /**
   * Issues the resume tokens of calls moved at a drain's end (the same signed tokens the media route verifies); with
   * `callControl` and `contextStore`, `moveLiveCalls` can move calls to another instance.
   */
  readonly streamTokens?: SignedStreamTokens;
}

/** How long a finished call's end reason is kept for the `<Connect action>` fallback request. */
const ENDED_CALL_MEMORY_MS = 60_000;

/** What a caller hears when the instance must end the call (a drain's deadline passed), instead of the apology. */
export const SHUTDOWN_CLOSING_LINE = "We're sorry, we have to end this call now. Please call us back if you need anything else. Goodbye.";

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

/** Owns every call of this process. */
export class CallManager implements CallHandler {
  readonly #options: CallManagerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #createClient: RealtimeClientFactory;
  readonly #prewarmed: PrewarmedSessions;
  readonly #calls = new Map<string, CallSession>();
  readonly #actions = new Map<string, AttachedCallActions>();
  readonly #keypads = new Map<string, Keypad>();
  readonly #conversations = new Map<string, ConversationRecorder>();
  /** Context deletes of ended calls still running; `close()` waits for them before the store closes. */
  readonly #contextDeletes = new Set<Promise<void>>();
  readonly #running = new Set<Promise<void>>();
  readonly #endedReasons = new Map<string, { readonly reason: CallEndReason; readonly agent: string; readonly timer: TimerHandle }>();
  readonly #watchdogs = new Map<string, CallWatchdogs>();
  /** `clock.now()` of each answered voice webhook until its stream starts, for the first-audio log line; bounded. */
  readonly #answeredAt = new Map<string, number>();
  readonly #fallbacksPending = new Set<string>();
  /** The tools every call of this process has: all of them with Twilio REST control, none without. */
  readonly #availableTools: readonly AgentToolName[];
  #closing = false;
  readonly #unsubscribeBus: (() => void) | undefined;
  /** A drain is moving this instance's calls away: a resumed stream must not land here. */
  #movingOut = false;

  constructor(options: CallManagerOptions) {
    this.#options = options;
    this.#availableTools = options.callControl ? AGENT_TOOL_NAMES : [];
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger;
    this.#createClient = options.createRealtimeClient ?? createRealtimeClient;
    this.#prewarmed = new PrewarmedSessions({
      clock: this.#clock,
      logger: options.logger,
      ...(options.prewarmTtlMs === undefined ? {} : { ttlMs: options.prewarmTtlMs }),
      onExpired: (callSid) => this.#notify((observer) => observer.prewarmReleased?.(callSid, 'ttl')),
    });
    this.#unsubscribeBus = options.streamStartedBus?.subscribe((callSid) => this.#streamStartedElsewhere(callSid));
  }

  /** Calls with a live media stream. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /**
   * Calls answered within the stream token's lifetime whose media stream has not started yet: a drain waits for
   * them too, since their stream is on its way to this instance.
   */
  get awaitingStreams(): number {
    const since = this.#clock.now() - this.#options.config.streamTokenTtlMs;
    let count = 0;
    for (const answeredAt of this.#answeredAt.values()) if (answeredAt > since) count += 1;
    return count;
  }

  /** Calls ended by `endLiveCalls` whose `<Connect action>` fallback Twilio has not fetched yet. */
  get fallbacksPending(): number {
    return this.#fallbacksPending.size;
  }

  /**
   * Ends every live call with `reason` (the drain's deadline passed) and keeps serving: each caller hears the
   * fallback TwiML of that reason when Twilio fetches `<Connect action>`. Resolves when the calls are torn down.
   */
  async endLiveCalls(reason: CallEndReason): Promise<number> {
    const sessions = [...this.#calls.values()];
    for (const session of sessions) this.#fallbacksPending.add(session.callSid);
    await Promise.allSettled(sessions.map((session) => session.end(reason)));
    return sessions.length;
  }

  /** True when live calls can be moved to another instance (Twilio REST control, stream tokens, a shared context store). */
  get canMoveCalls(): boolean {
    return this.#options.callControl !== undefined && this.#options.streamTokens !== undefined && this.#options.contextStore !== undefined;
  }

  /**
   * Moves every live call to another instance (a drain's deadline passed): writes its context to the shared store,
   * mints a signed stream token with a resume claim for the same CallSid and updates the live call with
   * `<Connect action><Stream>` TwiML pointing at `PUBLIC_BASE_URL` (the balancer: a ready instance takes it). Twilio
   * then sends `stop` on this stream: the call ends here as `moved`, with no fallback. A call whose update fails is
   * ended with the closing line instead. Resolves with both counts.
   */
  async moveLiveCalls(): Promise<{ moved: number; ended: number }> {
    const { callControl: control, streamTokens: tokens } = this.#options;
    if (!control || !tokens || !this.canMoveCalls) return { moved: 0, ended: await this.endLiveCalls('server_shutdown') };
    this.#movingOut = true;
    const failed: CallSession[] = [];
    let moved = 0;
    await Promise.all(
      [...this.#calls.values()].map(async (session) => {
        session.markMoving();
        // This session ends with the move: a reply in flight is cut at what reached Twilio and answered again there.
        await this.#conversations.get(session.callSid)?.handOver();
        const token = tokens.issue(session.callSid, { resume: true });
        const twiml = renderResumeConnectStream({ publicBaseUrl: this.#options.config.publicBaseUrl, token, callSid: session.callSid, agent: session.agent });
        const result = await control.redirectToTwiml(session.callSid, twiml);
        if (result.ok) {
          moved += 1;
          this.#log.info({ callSid: session.callSid, agent: session.agent }, 'call moved to another instance');
        } else if (!session.ended) {
          failed.push(session);
        }
      }),
    );
    for (const session of failed) this.#fallbacksPending.add(session.callSid);
    await Promise.allSettled(failed.map((session) => session.end('server_shutdown')));
    return { moved, ended: failed.length };
  }

  /** Sessions opened while ringing and not yet adopted by a stream. */
  get prewarmedSessions(): number {
    return this.#prewarmed.size;
  }

  onCallAnswered(call: IncomingCall): void {
    if (this.#closing) return;
    if (this.#answeredAt.size >= MAX_PREWARMED_SESSIONS) this.#answeredAt.delete(this.#answeredAt.keys().next().value as string);
    this.#answeredAt.set(call.callSid, this.#clock.now());
    if (this.#options.prewarm === false) return;
    this.#notify((observer) => observer.callAnswered?.(call));
    const agent = this.#options.catalogue.defaultAgent;
    const instructions = buildInstructions(this.#options.catalogue, agent, { availableTools: this.#availableTools });
    const client = this.#buildClient(agent, this.#log.child({ callSid: call.callSid }), call.callSid, instructions);
    if (this.#prewarmed.open(call.callSid, client)) this.#log.debug({ callSid: call.callSid }, 'realtime session pre-warming');
  }

  onStreamStarted({ start, transport, logger, resume = false }: StartedStream): void {
    if (this.#closing || (resume && this.#movingOut)) {
      transport.close('server shutting down');
      return;
    }
    const { catalogue } = this.#options;
    const requested = start.customParameters.agent;
    const agent = requested !== undefined && catalogue.agentsByName.has(requested) ? requested : catalogue.defaultAgent;
    const parameters = contextParameters(start.customParameters);
    const availableTools = this.#availableTools;
    const orchestrator = this.#options.createOrchestrator(start.callSid, { initialAgent: agent, instructionParameters: parameters, availableTools, logger });
    const instructions = buildInstructions(catalogue, agent, { parameters, availableTools });

    const prewarmed = this.#prewarmed.adopt(start.callSid);
    const answeredAt = this.#answeredAt.get(start.callSid);
    this.#answeredAt.delete(start.callSid);
    // Another instance may hold this call's pre-warm (its webhook landed there): tell it to close that session now.
    if (!prewarmed) this.#options.streamStartedBus?.publish(start.callSid);
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
    // A call moved here from a draining instance: its context comes from the shared store while the session opens.
    let resumed: ConversationContext | undefined;
    if (resume) {
      const store = this.#options.contextStore;
      const loading = store
        ? store.loadContext(start.callSid).catch((error: unknown) => {
            logger.warn({ err: toError(error) }, 'conversation context of a resumed call could not be loaded');
            return undefined;
          })
        : Promise.resolve(undefined);
      connected = Promise.all([connected, loading]).then(([, context]) => {
        resumed = context;
      });
    }
    const { liveness, openai, realtimeSession } = this.#options.config;
    // A drop, a fatal error or the session limit opens a new session seeded with the conversation so far.
    const realtime = new ReconnectingRealtimeClient({
      first: rawClient,
      create: (next): RealtimeClientLike => this.#buildClient(session.agent, logger, start.callSid, next),
      instructions,
      context: (): ConversationContext => conversation.snapshot(),
      samplesPerMs: serviceSamplesPerMs(openai.realtimeAudioFormat),
      maxReconnects: realtimeSession.maxReconnects,
      limitMs: realtimeSession.limitMs,
      rolloverMarginMs: realtimeSession.rolloverMarginMs,
      isAudible: () => transport.isAudible(),
      clock: this.#clock,
      logger,
      onDropped: () => conversation.sessionDropped(),
      respond: () => void responses.client.createResponse(),
    });
    // Every response of the call is watched: a stalled or failed one is retried once, then the call is handed over.
    const responses = new ResponseWatchdog({
      client: realtime,
      clock: this.#clock,
      logger,
      timeoutMs: liveness.responseWatchdogMs,
      onGiveUp: () => void session.end('realtime_unresponsive'),
    });
    const client = responses.client;
    const greeting = catalogue.agentsByName.get(agent)?.greeting;
    const service = new RealtimeService(
      {
        initialInstruction: instructions,
        agentType: 'realtime',
        greeting: greeting === undefined ? undefined : greetingInstruction(greeting),
        sameTurnSwitch: catalogue.sameTurnSwitch,
      },
      orchestrator,
      { client, playback: transport, logger, callSid: start.callSid, audioFormat: openai.realtimeAudioFormat },
    );
    const conversation = new ConversationRecorder({
      callSid: start.callSid,
      agent,
      logger,
      receivedMs: (itemId): number => realtime.receivedAudioMs(itemId),
      deliveredMs: (itemId) => service.deliveredAudioMs(itemId),
      store: this.#options.contextStore,
    });
    service.on((event) => conversation.onServiceEvent(event));
    this.#conversations.set(start.callSid, conversation);
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
      answeredAt,
      prewarmed: prewarmed !== undefined,
      realtimeSessions: () => ({ reconnects: realtime.reconnects, rollovers: realtime.rollovers }),
      // A resumed call goes on where it was: no greeting, the conversation replayed, a pending turn answered.
      ...(resume
        ? {
            open: () => {
              if (!resumed) {
                logger.warn('resumed call has no stored context; greeting the caller afresh');
                service.greet();
                return;
              }
              conversation.seed(resumed);
              logger.info({ ...realtime.resume(), turns: resumed.turns.length }, 'call resumed from another instance');
            },
          }
        : {}),
    });
    this.#calls.set(start.callSid, session);
    // Before the actions attach: an observer then sees a key press while the collection that consumes it is open.
    this.#notify((observer) =>
      observer.streamStarted?.({
        callSid: start.callSid,
        streamSid: start.streamSid,
        start,
        transport,
        service,
        agent,
        collectingDigits: () => this.#actions.get(start.callSid)?.actions.collectingDigits ?? false,
        actions: () => this.#actions.get(start.callSid)?.actions.log.entries() ?? [],
        logger,
      }),
    );
    const keypad = new Keypad({
      transport,
      // A keypad turn is a user turn of the conversation context too.
      sink: {
        sendKeypadTurn: (text) => {
          conversation.userText(text);
          return service.sendKeypadTurn(text);
        },
      },
      clock: this.#clock,
      logger,
      // What really happened to each batch, once it happened (the session may still have been opening).
      onRelayed: ({ digitCount, delivered }) => {
        const log = this.#actions.get(start.callSid)?.actions.log;
        if (log) log.record({ action: 'dtmf', outcome: delivered ? 'ok' : 'failed', details: { digitCount } });
        else logger.info({ digitCount, delivered }, 'key presses relayed');
      },
    });
    this.#keypads.set(start.callSid, keypad);
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
        keypad,
        logger,
        clock: this.#clock,
      });
      this.#actions.set(start.callSid, attached);
    }
    logger.info({ agent, prewarmed: prewarmed !== undefined, resume }, 'call started');
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
    // Twilio fetches the fallback as soon as the socket closes, before the teardown has recorded the end reason.
    const endedByDrain = this.#fallbacksPending.delete(callSid);
    // Debug: the request can be replayed; the route writes the rate-limited line.
    this.#log.debug({ callSid, reason: ended?.reason }, 'stream-ended fallback requested');
    if (ended?.reason === 'max_duration') {
      return renderSayAndHangup(callSettingsFor(this.#options.catalogue, ended.agent).maxDuration.closingLine);
    }
    // A call still live when a drain's deadline passed hears a closing line, not the apology for a failure.
    if (endedByDrain || ended?.reason === 'server_shutdown') return renderSayAndHangup(SHUTDOWN_CLOSING_LINE);
    return undefined;
  }

  onStatus(status: StatusCallback): void {
    if (status.callStatus === 'completed' || status.callStatus === 'canceled' || status.callStatus === 'failed') {
      this.#answeredAt.delete(status.callSid);
      // A call that ended while ringing never opens its stream: release its pre-warmed session now, not at the TTL.
      this.#releasePrewarm(status.callSid, 'call_ended');
    }
  }

  /**
   * Another instance admitted this call's stream: the pre-warm held here will never be adopted, and no stream is
   * on its way here (a drain need not wait for it).
   */
  #streamStartedElsewhere(callSid: string): void {
    this.#answeredAt.delete(callSid);
    if (this.#releasePrewarm(callSid, 'stream_elsewhere')) {
      this.#log.info({ callSid }, 'pre-warmed session released: the stream started on another instance');
    }
  }

  #releasePrewarm(callSid: string, cause: PrewarmReleaseCause): boolean {
    if (!this.#prewarmed.release(callSid)) return false;
    this.#notify((observer) => observer.prewarmReleased?.(callSid, cause));
    return true;
  }

  /** The live call with this CallSid, if any. */
  call(callSid: string): CallSession | undefined {
    return this.#calls.get(callSid);
  }

  /** Ends every call and pre-warmed session (server shutdown); resolves when all teardowns are done. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#unsubscribeBus?.();
    await Promise.allSettled([...this.#calls.values()].map((session) => session.end('server_shutdown')));
    await Promise.allSettled([...this.#running]);
    await Promise.allSettled([...this.#contextDeletes]);
    await this.#prewarmed.closeAll();
    for (const { timer } of this.#endedReasons.values()) this.#clock.clearTimeout(timer);
    this.#endedReasons.clear();
  }

  #buildClient(agent: string, logger: Logger, callSid: string, instructions: string): RealtimeClientLike {
    const { config, catalogue } = this.#options;
    // The tool list is fixed when the session opens (maybe while ringing); each tool finds the call's actions when run.
    const tools = this.#options.callControl ? createCallTools(grantedToolNames(catalogue), () => this.#actions.get(callSid)?.actions) : undefined;
    return this.#createClient(realtimeClientOptionsFrom(config, { name: agent, instructions, ...(tools ? { tools } : {}), logger }));
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
    // A moved call's context is read by the instance that resumes it (and pruned with the shared state), whatever
    // ended the old stream (Twilio's `stop`, or this instance closing before the stop came).
    if (this.#conversations.get(summary.callSid)?.handedOver) this.#conversations.delete(summary.callSid);
    else this.#forgetConversation(summary.callSid);
    this.#keypads.get(summary.callSid)?.dispose();
    this.#keypads.delete(summary.callSid);
    const attached = this.#actions.get(summary.callSid);
    this.#actions.delete(summary.callSid);
    // A transfer also ends with Twilio's `stop`: the outcome, not the end reason, says where the caller went.
    const record = attached ? { ...summary, ...attached.detach() } : summary;
    try {
      this.#options.onCallEnded?.(record);
    } catch (error) {
      this.#log.error({ err: toError(error) }, 'call ended listener failed');
    }
    this.#notify((observer) => observer.callEnded?.(record));
  }

  /** A call that ended here needs its context no more: deleted once its last write landed (never overtaken by it). */
  #forgetConversation(callSid: string): void {
    const conversation = this.#conversations.get(callSid);
    this.#conversations.delete(callSid);
    const store = this.#options.contextStore;
    if (!conversation || !store) return;
    const deleting = conversation
      .flushed()
      .then(() => store.deleteContext(callSid))
      .catch((error: unknown) => this.#log.warn({ err: toError(error), callSid }, 'conversation context not deleted'));
    this.#contextDeletes.add(deleting);
    void deleting.finally(() => this.#contextDeletes.delete(deleting));
  }

  #notify(call: (observer: CallObserver) => void): void {
    for (const observer of this.#options.observers ?? []) {
      try {
        call(observer);
      } catch (error) {
        this.#log.error({ err: toError(error) }, 'call observer failed');
      }
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
