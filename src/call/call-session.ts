/**
 * One live call: the Twilio transport adapter ⇄ `RealtimeService` ⇄ orchestrator, with a child logger bound to
 * `{ callSid, streamSid }`. The session owns teardown, which is complete and idempotent from either side:
 * - Twilio `stop` or a closed socket ends the Realtime session and disposes the orchestrator;
 * - a Realtime close or fatal error closes the media socket, so Twilio runs the `<Connect action>` fallback
 *   (an apology and a hang-up) instead of leaving the caller on dead air.
 */
import type { ActionRecord } from '../actions/action-log.js';
import type { CallOutcome } from '../actions/call-actions.js';
import type { AbstractOrchestrator } from '../domain/orchestrator.js';
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RealtimeService } from '../service/realtime-service.js';
import type { ServiceEvent } from '../service/service-events.js';
import type { Clock } from '../telephony/clock.js';
import type { TwilioMediaTransport } from '../telephony/media-transport.js';

/** Why a call ended; the stream-ended fallback and the call record read it. */
export type CallEndReason =
  | 'twilio_stop'
  | 'twilio_socket_closed'
  | 'realtime_connect_failed'
  | 'realtime_closed'
  | 'realtime_error'
  | 'server_shutdown'
  | 'handler_failed'
  /** The response watchdog gave up: a response stalled or failed, and so did its retry. */
  | 'realtime_unresponsive'
  /** The media watchdog heard nothing from Twilio for too long. */
  | 'twilio_silent'
  /** The hard duration limit closed the stream. */
  | 'max_duration'
  /** A draining instance moved the call to another instance (the REST update's `stop`): not an end for the caller. */
  | 'moved';

/** A short summary of a finished call, for the log and the call record. */
export interface CallSummary {
  readonly callSid: string;
  readonly streamSid: string;
  readonly reason: CallEndReason;
  readonly durationMs: number;
  readonly userTurns: number;
  readonly assistantTurns: number;
  readonly bargeIns: number;
  /** Replies replaced by the new agent's in the same turn (an agent switch before the caller heard the reply). */
  readonly reroutes: number;
  /** Twilio `clear`s sent: one per barge-in, plus one per re-route whose reply had reached Twilio. */
  readonly clears: number;
  readonly agentChanges: readonly string[];
  /** The intent behind each agent change, in the same order. */
  readonly intents: readonly string[];
  readonly finalAgent: string;
  /** Telephony actions taken during the call (hang-up, transfer, digits...), when actions were enabled. */
  readonly actions?: readonly ActionRecord[];
  /** How actions ended the call (`transferred` means the `stop` was the transfer, not a hang-up). */
  readonly outcome?: CallOutcome;
  /** New Realtime sessions opened after a drop or fatal error (the conversation replayed into each). */
  readonly realtimeReconnects?: number;
  /** Realtime sessions replaced before their provider limit, at a quiet moment. */
  readonly realtimeRollovers?: number;
}

/** Everything one call is made of, built by the call manager. */
export interface CallSessionOptions {
  readonly callSid: string;
  readonly streamSid: string;
  readonly transport: TwilioMediaTransport;
  readonly service: RealtimeService;
  readonly orchestrator: AbstractOrchestrator;
  /** Settles when the Realtime session is open (it may have been opened while the phone rang). */
  readonly connected: Promise<void>;
  readonly initialAgent: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Called once, after teardown finished. */
  readonly onEnded?: (summary: CallSummary) => void;
  /** `clock.now()` when this process answered the call's voice webhook; undefined for a call without one (outbound). */
  readonly answeredAt?: number | undefined;
  /** Whether the Realtime session was opened while the phone rang, for the first-audio log line. */
  readonly prewarmed?: boolean;
  /** Sessions the call's Realtime connection opened after its first (see `ReconnectingRealtimeClient`). */
  readonly realtimeSessions?: () => { readonly reconnects: number; readonly rollovers: number };
  /**
   * What the bot does once the session is open: by default it speaks first (`service.greet()`); a call resumed from
   * another instance continues its conversation instead.
   */
  readonly open?: () => void;
}

/** One call from `start` to teardown. */
export class CallSession {
  readonly callSid: string;
  readonly streamSid: string;
  readonly #options: CallSessionOptions;
  readonly #log: Logger;
  readonly #startedAt: number;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #agentChanges: string[] = [];
  readonly #intents: string[] = [];
  /** Intent of the latest orchestrator result, paired with the agent change it causes. */
  #lastIntent = '';
  #agent: string;
  #userTurns = 0;
  #assistantTurns = 0;
  #bargeIns = 0;
  #reroutes = 0;
  #clears = 0;
  #ended: Promise<CallSummary> | undefined;
  #moving = false;

  constructor(options: CallSessionOptions) {
    this.callSid = options.callSid;
    this.streamSid = options.streamSid;
    this.#options = options;
    this.#log = options.logger;
    this.#startedAt = options.clock.now();
    this.#agent = options.initialAgent;
  }

  /** The catalogue agent the live session currently runs as. */
  get agent(): string {
    return this.#agent;
  }

  /**
   * The call is being moved to another instance (a REST update of its TwiML): the `stop` and close that follow end
   * this stream as `moved`, not the call.
   */
  markMoving(): void {
    this.#moving = true;
  }

  /** True once teardown has begun. */
  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /**
   * Starts the call: subscribes to both sides, waits for the Realtime session, makes the bot speak first and pumps
   * the model's audio to Twilio until the call ends. Never rejects; failures end the call.
   */
  async run(): Promise<void> {
    const { transport, service } = this.#options;
    this.#unsubscribe.push(
      transport.on('stop', () => void this.end('twilio_stop')),
      transport.on('closed', () => void this.end('twilio_socket_closed')),
      service.on((event) => this.#onServiceEvent(event)),
    );
    try {
      await this.#options.connected;
    } catch (error) {
      this.#log.error({ err: toError(error) }, 'realtime session could not be opened');
      await this.end('realtime_connect_failed');
      return;
    }
    if (this.ended) return;
    const output = service.process(transport.inboundAudio());
    if (this.#options.open) this.#options.open();
    else service.greet();
    let heard = false;
    try {
      for await (const chunk of output) {
        if (!heard && chunk.pcm.length > 0) {
          heard = true;
          this.#logFirstAudio();
        }
        if (chunk.pcm.length > 0) transport.sendAudio(chunk.itemId, chunk.pcm);
        if (chunk.itemDone) transport.endItem(chunk.itemId);
      }
    } catch (error) {
      this.#log.error({ err: toError(error) }, 'assistant audio pump failed');
      await this.end('realtime_error');
    }
  }

  /**
   * The caller's wait for the bot's first words ("why is there silence at the start?"): milliseconds from the voice
   * webhook (when this process answered it) and from the stream's `start` to the first audio handed to Twilio.
   */
  #logFirstAudio(): void {
    const now = this.#options.clock.now();
    const { answeredAt, prewarmed } = this.#options;
    this.#log.info(
      {
        msSinceWebhook: answeredAt === undefined ? undefined : Math.round(now - answeredAt),
        msSinceStreamStart: Math.round(now - this.#startedAt),
        prewarmed: prewarmed ?? false,
      },
      'first audio',
    );
  }

  /** Tears the call down once, whichever side asked first; resolves with the call's summary. */
  end(reason: CallEndReason): Promise<CallSummary> {
    const moved = this.#moving && (reason === 'twilio_stop' || reason === 'twilio_socket_closed');
    this.#ended ??= this.#teardown(moved ? 'moved' : reason);
    return this.#ended;
  }

  async #teardown(reason: CallEndReason): Promise<CallSummary> {
    const { transport, service, orchestrator } = this.#options;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    // Closing the socket first on a Realtime failure: Twilio then fetches the fallback TwiML at once.
    transport.close(reason);
    const results = await Promise.allSettled([service.close(), orchestrator.dispose()]);
    for (const result of results) {
      if (result.status === 'rejected') this.#log.warn({ err: toError(result.reason) }, 'call teardown step failed');
    }
    const summary: CallSummary = {
      callSid: this.callSid,
      streamSid: this.streamSid,
      reason,
      durationMs: Math.round(this.#options.clock.now() - this.#startedAt),
      userTurns: this.#userTurns,
      assistantTurns: this.#assistantTurns,
      bargeIns: this.#bargeIns,
      reroutes: this.#reroutes,
      clears: this.#clears,
      agentChanges: [...this.#agentChanges],
      intents: [...this.#intents],
      finalAgent: this.#agent,
      realtimeReconnects: this.#options.realtimeSessions?.().reconnects ?? 0,
      realtimeRollovers: this.#options.realtimeSessions?.().rollovers ?? 0,
    };
    const { callSid: _callSid, streamSid: _streamSid, ...fields } = summary;
    // The call's logger already carries callSid and streamSid.
    this.#log.info(
      { ...fields, agentChanges: fields.agentChanges.join(','), intents: fields.intents.join(','), media: transport.stats() },
      'call ended',
    );
    try {
      this.#options.onEnded?.(summary);
    } catch (error) {
      this.#log.error({ err: toError(error) }, 'call end listener failed');
    }
    return summary;
  }

  #onServiceEvent(event: ServiceEvent): void {
    switch (event.type) {
      case 'transcript':
        if (!event.final) return;
        if (event.role === 'user') this.#userTurns += 1;
        else this.#assistantTurns += 1;
        this.#log.info({ role: event.role, itemId: event.itemId, text: event.text }, 'transcript');
        return;
      case 'intent':
        this.#lastIntent = event.result.intent;
        this.#log.info({ intent: event.result.intent, confidence: event.result.confidence, agent: event.result.agent }, 'intent classified');
        return;
      case 'instructions_updated':
        if (event.agent !== undefined && event.agent !== this.#agent) {
          this.#log.info({ previousAgent: this.#agent, agent: event.agent }, 'agent changed');
          this.#agent = event.agent;
          this.#agentChanges.push(event.agent);
          this.#intents.push(this.#lastIntent);
        }
        return;
      case 'barge_in':
        this.#bargeIns += 1;
        this.#clears += 1;
        return;
      case 'reply_rerouted':
        this.#reroutes += 1;
        if (event.carrierCleared) this.#clears += 1;
        return;
      case 'error':
        this.#log.warn({ err: event.error, recoverable: event.recoverable }, 'realtime service error');
        if (!event.recoverable) void this.end('realtime_error');
        return;
      case 'closed':
        if (event.reason !== 'closed') void this.end(event.reason === 'error' ? 'realtime_error' : 'realtime_closed');
        return;
      case 'speech_started':
      case 'speech_stopped':
      case 'response_started':
      case 'response_done':
      case 'tool_call':
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }
}
