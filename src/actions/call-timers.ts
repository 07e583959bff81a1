/**
 * Idle and maximum-duration timers of one call. Silence means the caller is not speaking, the bot is not audible
 * (Twilio has confirmed all its audio played), no response is being generated and no keypad entry is awaited.
 * After the agent's `idle.timeoutSeconds` of silence the bot reprompts ("Are you still there?") up to
 * `idle.reprompts` times, then says its goodbye and hangs up once that has played. At `maxDuration.minutes` the
 * call ends the same way with the closing line. Settings are read on every tick, so an agent change applies at once.
 */
import { idleRepromptInstruction } from '../domain/instructions.js';
import type { RealtimeClientEvent } from '../infrastructure/realtime-client-events.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';
import type { ActionRealtime, ActionTransport, CallActions } from './call-actions.js';
import type { AgentCallSettings } from './call-settings.js';

/** How often silence and duration are checked; fine enough for second-scale settings, cheap per call. */
export const CALL_TIMER_TICK_MS = 250;

/** Options for {@link CallTimers}. */
export interface CallTimersOptions {
  readonly actions: Pick<CallActions, 'ending' | 'collectingDigits' | 'finishWithLine' | 'log'>;
  readonly transport: Pick<ActionTransport, 'isAudible' | 'on'>;
  readonly realtime: Pick<ActionRealtime, 'on' | 'isResponseInFlight' | 'createResponse'>;
  readonly settings: () => AgentCallSettings;
  readonly clock: Clock;
  readonly tickMs?: number;
}

/** Runs the silence and duration limits of one call from `start()` to `stop()`. */
export class CallTimers {
  readonly #options: CallTimersOptions;
  readonly #clock: Clock;
  readonly #unsubscribe: Array<() => void> = [];
  #timer: TimerHandle | undefined;
  #startedAt = 0;
  #lastActivityAt = 0;
  #callerSpeaking = false;
  #reprompts = 0;
  #running = false;

  constructor(options: CallTimersOptions) {
    this.#options = options;
    this.#clock = options.clock;
  }

  /** Reprompts said since the caller last spoke. */
  get reprompts(): number {
    return this.#reprompts;
  }

  /** Starts both limits now (the call's start). Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#clock.now();
    this.#lastActivityAt = this.#startedAt;
    this.#unsubscribe.push(
      this.#options.realtime.on((event) => this.#onRealtimeEvent(event)),
      this.#options.transport.on('dtmf', () => this.#callerActive()),
    );
    this.#schedule();
  }

  /** Stops both limits (the call ended). Idempotent. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#options.tickMs ?? CALL_TIMER_TICK_MS);
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const { actions, transport, realtime } = this.#options;
    if (actions.ending) return this.stop();
    const settings = this.#options.settings();
    const now = this.#clock.now();
    if (now - this.#startedAt >= settings.maxDuration.minutes * 60_000) {
      this.stop();
      void actions.finishWithLine(settings.maxDuration.closingLine, 'max_duration');
      return;
    }
    const busy = this.#callerSpeaking || transport.isAudible() || realtime.isResponseInFlight() || actions.collectingDigits;
    if (busy) {
      this.#lastActivityAt = now;
    } else if (now - this.#lastActivityAt >= settings.idle.timeoutSeconds * 1000) {
      this.#lastActivityAt = now;
      if (this.#reprompts < settings.idle.reprompts) {
        this.#reprompts += 1;
        actions.log.record({ action: 'idle_reprompt', outcome: 'ok', reason: 'caller silent', details: { reprompt: this.#reprompts } });
        realtime.createResponse({
          instructions: idleRepromptInstruction(settings.idle.reprompt),
        });
      } else {
        this.stop();
        void actions.finishWithLine(settings.idle.goodbye, 'idle_timeout');
        return;
      }
    }
    this.#schedule();
  }

  #onRealtimeEvent(event: RealtimeClientEvent): void {
    switch (event.type) {
      case 'speech_started':
        this.#callerSpeaking = true;
        this.#callerActive();
        return;
      case 'speech_stopped':
        this.#callerSpeaking = false;
        this.#lastActivityAt = this.#clock.now();
        return;
      case 'transcript':
        if (event.role === 'user' && event.final) this.#callerActive();
        return;
      case 'audio':
      case 'response_started':
      case 'response_done':
        this.#lastActivityAt = this.#clock.now();
        return;
      case 'tool_call':
      case 'error':
      case 'user_item':
      case 'output_item':
        return;
      case 'closed':
        this.#callerSpeaking = false;
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  /** The caller did something: the silence count and the reprompts start over. */
  #callerActive(): void {
    this.#lastActivityAt = this.#clock.now();
    this.#reprompts = 0;
  }
}
