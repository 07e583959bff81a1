/**
 * One call's timeline: turns the raw events of a live call (service events, Twilio mark echoes and key presses)
 * into the facts call records and metrics keep (`TimelineEvent`). It does work per event, never per audio frame.
 *
 * Clocks. The media clock is the inbound audio received so far (20 ms per Twilio frame plus the gaps the decoder
 * filled), which is the scale of Twilio's `media.timestamp` and of the model's VAD positions (`audio_start_ms`,
 * `audio_end_ms` count the caller audio appended, which is that same audio). Latencies are measured on the real
 * clock: the caller's speech end is placed at `now - (mediaNow - audio_end_ms)` when the VAD reports it (the VAD
 * reports after its silence window), and the bot's first audio at the caller at `echo time - mark position` of the
 * item's first echoed mark (Twilio echoes a mark once the audio before it has played), never before that mark's
 * audio was sent.
 */
import type { ObservedCall } from '../call/call-observer.js';
import type { OrchestratorResult } from '../domain/orchestrator.js';
import type { ServiceEvent } from '../service/service-events.js';
import { FRAME_MS } from '../audio/constants.js';
import type { Clock } from '../telephony/clock.js';
import { parseMarkName } from '../telephony/mark-name.js';
import type { MediaTransportStats } from '../telephony/media-transport.js';
import type { BotTurn, CallerTurn, TimelineEvent, TimelineListener } from './timeline-events.js';

/** The timeline reads only monotonic milliseconds from the call's clock. */
export type TimelineClock = Pick<Clock, 'now'>;

/** What the timeline reads from the call. */
export interface CallTimelineOptions {
  readonly call: Pick<ObservedCall, 'transport' | 'service' | 'agent' | 'collectingDigits'>;
  readonly clock: TimelineClock;
  readonly listener: TimelineListener;
}

interface BotState {
  turn: BotTurn;
  /** Real time the item's first audio reached the caller. */
  playedAtClock?: number;
}

/** Media clock position of the inbound audio received so far. */
export function mediaPositionMs(stats: Pick<MediaTransportStats, 'inboundFrames' | 'silenceFilledMs'>): number {
  return stats.inboundFrames * FRAME_MS + stats.silenceFilledMs;
}

/** Derives timeline events for one call until `stop()`. */
export class CallTimeline {
  readonly #options: CallTimelineOptions;
  readonly #startedAtClock: number;
  readonly #unsubscribe: Array<() => void>;
  readonly #callerTurns = new Map<string, CallerTurn>();
  readonly #botTurns = new Map<string, BotState>();
  #agent: string;
  #lastIntent: OrchestratorResult | undefined;
  /** Real time the caller's latest turn ended, until a bot turn's first audio answers it. */
  #speechEndedAtClock: number | undefined;
  #lastCallerFinalAtClock: number | undefined;
  #firstAudioSeen = false;
  #stopped = false;

  constructor(options: CallTimelineOptions) {
    this.#options = options;
    this.#startedAtClock = options.clock.now();
    this.#agent = options.call.agent;
    const { transport, service } = options.call;
    this.#unsubscribe = [
      service.on((event) => this.#onServiceEvent(event)),
      transport.on('mark', (mark) => this.#onMark(mark.name, mark.roundTripMs, mark.stale === true)),
      transport.on('dtmf', ({ digit }) => this.#emit({ type: 'dtmf', atMs: this.#mediaNow(), digit: this.#options.call.collectingDigits() ? undefined : digit })),
    ];
  }

  /** The agent the call runs as now. */
  get agent(): string {
    return this.#agent;
  }

  /** Stops listening; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  #mediaNow(): number {
    return mediaPositionMs(this.#options.call.transport.stats());
  }

  /**
   * A position on the model's input clock (`audio_start_ms`: caller audio the session received) as a position on
   * the call's media clock: the two differ by the caller audio that never reached the model (spoken while the
   * session was opening), which is what the media clock has counted beyond what the service delivered.
   */
  #modelToMediaMs(modelMs: number): number {
    return Math.round(modelMs + Math.max(0, this.#mediaNow() - this.#options.call.service.callerAudioDeliveredMs));
  }

  #emit(event: TimelineEvent): void {
    if (!this.#stopped) this.#options.listener(event);
  }

  #onServiceEvent(event: ServiceEvent): void {
    const now = this.#options.clock.now();
    switch (event.type) {
      case 'speech_started':
        if (event.itemId !== undefined) this.#updateCaller(event.itemId, { startMs: this.#modelToMediaMs(event.audioStartMs) });
        return;
      case 'speech_stopped': {
        const endMs = this.#modelToMediaMs(event.audioEndMs);
        const behindMs = Math.max(0, this.#mediaNow() - endMs);
        this.#speechEndedAtClock = now - behindMs;
        if (event.itemId !== undefined) this.#updateCaller(event.itemId, { endMs });
        return;
      }
      case 'transcript':
        if (!event.final) return;
        if (event.role === 'user') {
          this.#lastCallerFinalAtClock = now;
          this.#updateCaller(event.itemId, { text: event.text });
        } else {
          this.#updateBot(event.itemId, { text: event.text });
        }
        return;
      case 'barge_in':
        return this.#onBargeIn(event);
      case 'reply_rerouted':
        // The replaced reply was never heard (that is the re-route's rule): a bot turn already started for it is
        // marked cut at 0; none is invented for items that produced nothing.
        for (const itemId of [...event.truncations.map((t) => t.itemId), ...event.deletedItemIds]) {
          if (this.#botTurns.has(itemId)) this.#updateBot(itemId, { interrupted: true, heardMs: 0 });
        }
        return;
      case 'intent':
        this.#lastIntent = event.result;
        return;
      case 'instructions_updated': {
        const agent = event.agent ?? this.#agent;
        const atMs = this.#mediaNow();
        if (agent !== this.#agent) {
          const intent = this.#lastIntent;
          this.#emit({ type: 'agent_switch', atMs, from: this.#agent, to: agent, intent: intent?.intent, confidence: intent?.confidence });
          this.#agent = agent;
        }
        const since = this.#lastCallerFinalAtClock;
        this.#emit({ type: 'instructions_updated', atMs, agent, transcriptToUpdateMs: since === undefined ? undefined : Math.round(now - since) });
        return;
      }
      case 'response_done':
        if (event.usage) this.#emit({ type: 'usage', atMs: this.#mediaNow(), responseId: event.responseId, usage: event.usage });
        return;
      case 'error':
        this.#emit({ type: 'realtime_error', atMs: this.#mediaNow(), code: event.code, message: event.error.message, recoverable: event.recoverable });
        return;
      case 'response_started':
      case 'tool_call':
      case 'closed':
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  #onBargeIn(event: Extract<ServiceEvent, { type: 'barge_in' }>): void {
    const heard = event.truncations[0];
    // Every truncated item is an interrupted bot turn, even one cut before its first echo (heard 0 ms).
    for (const truncation of event.truncations) this.#updateBot(truncation.itemId, { interrupted: true, heardMs: truncation.audioEndMs });
    this.#emit({
      type: 'barge_in',
      atMs: this.#mediaNow(),
      itemId: heard?.itemId,
      heardMs: heard?.audioEndMs,
      cancelledResponse: event.cancelledResponseId !== undefined,
    });
  }

  #onMark(name: string, roundTripMs: number | undefined, stale: boolean): void {
    this.#emit({ type: 'mark_echo', roundTripMs, stale });
    if (stale) return;
    const position = parseMarkName(name);
    if (!position) return;
    const now = this.#options.clock.now();
    const mediaNow = this.#mediaNow();
    const state = this.#botTurns.get(position.itemId);
    if (state?.playedAtClock !== undefined) {
      if (state.turn.interrupted) return;
      this.#updateBot(position.itemId, { heardMs: Math.max(state.turn.heardMs, Math.floor(position.endMs)), endMs: mediaNow });
      return;
    }
    // The item's first echo: its audio started playing `endMs` before now, and not before it was sent.
    const playedForMs = Math.min(position.endMs, roundTripMs ?? position.endMs);
    const playedAtClock = now - playedForMs;
    const spokenSince = this.#speechEndedAtClock;
    const latencyMs = spokenSince === undefined ? undefined : Math.max(0, Math.round(playedAtClock - spokenSince));
    this.#speechEndedAtClock = undefined;
    this.#updateBot(position.itemId, {
      startMs: Math.max(0, Math.round(mediaNow - playedForMs)),
      endMs: mediaNow,
      heardMs: Math.floor(position.endMs),
      latencyMs,
    });
    const started = this.#botTurns.get(position.itemId);
    if (started) started.playedAtClock = playedAtClock;
    if (!this.#firstAudioSeen) {
      this.#firstAudioSeen = true;
      this.#emit({ type: 'first_audio', atMs: Math.max(0, Math.round(mediaNow - playedForMs)), latencyMs: Math.max(0, Math.round(playedAtClock - this.#startedAtClock)) });
    }
    if (latencyMs !== undefined) this.#emit({ type: 'turn_latency', itemId: position.itemId, latencyMs });
  }

  #updateCaller(itemId: string, change: Partial<Omit<CallerTurn, 'speaker' | 'itemId'>>): void {
    const turn: CallerTurn = { ...(this.#callerTurns.get(itemId) ?? { speaker: 'caller', itemId }), ...change };
    this.#callerTurns.set(itemId, turn);
    this.#emit({ type: 'caller_turn', turn });
  }

  #updateBot(itemId: string, change: Partial<Omit<BotTurn, 'speaker' | 'itemId' | 'agent'>>): void {
    let state = this.#botTurns.get(itemId);
    if (!state) {
      state = { turn: { speaker: 'bot', itemId, agent: this.#agent, interrupted: false, heardMs: 0 } };
      this.#botTurns.set(itemId, state);
    }
    state.turn = { ...state.turn, ...change };
    this.#emit({ type: 'bot_turn', turn: state.turn });
  }
}
