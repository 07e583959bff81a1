/**
 * The live calls board: a telemetry sink that keeps the state of every active call (masked caller, agent, turns,
 * latencies, barge-ins, key presses, agent switches, usage) from the call's timeline events, and tells subscribers
 * (the console's event streams) what changed. It works per timeline event, never per audio frame, and forgets a call
 * when it ends (its record is in the store).
 */
import type { CallSummary } from '../call/call-session.js';
import { recordPhoneNumber, type PhoneNumberPolicy } from '../records/phone-mask.js';
import type { TelemetrySink } from '../telemetry/telemetry-hub.js';
import type { BotTurn, CallerTurn, TimelineEvent } from '../telemetry/timeline-events.js';

/** One live call as the console shows it. Times `...Ms` inside the call are on its media clock. */
export interface LiveCall {
  readonly callSid: string;
  readonly direction: string;
  /** Masked per `RECORD_PHONE_NUMBERS` (`+1******0123`). */
  readonly from: string | null;
  readonly to: string | null;
  /** Epoch ms the media stream started. */
  readonly startedAtMs: number;
  agent: string;
  /** Caller and bot turns in the order they started; a turn is replaced as it completes. */
  readonly turns: Array<CallerTurn | BotTurn>;
  readonly latenciesMs: number[];
  readonly agentSwitches: Array<Extract<TimelineEvent, { type: 'agent_switch' }>>;
  readonly bargeIns: Array<Extract<TimelineEvent, { type: 'barge_in' }>>;
  readonly dtmf: Array<{ readonly atMs: number; readonly digit: string | null }>;
  readonly errors: Array<Extract<TimelineEvent, { type: 'realtime_error' }>>;
  firstAudioMs: number | null;
  readonly usage: { responses: number; inputTokens: number; outputTokens: number };
}

/** What subscribers receive. */
export type LiveUpdate =
  | { readonly type: 'call_started'; readonly call: LiveCall }
  | { readonly type: 'call_event'; readonly callSid: string; readonly event: TimelineEvent }
  | { readonly type: 'call_ended'; readonly callSid: string; readonly reason: string };

/** Receives updates synchronously; must not throw. */
export type LiveListener = (update: LiveUpdate) => void;

/** Live calls kept at most (a leak guard: calls end through `callEnded`). */
export const MAX_LIVE_CALLS = 5_000;

/** The board; also a `TelemetrySink` for the telemetry hub. */
export class LiveCallBoard implements TelemetrySink {
  readonly #calls = new Map<string, LiveCall>();
  readonly #listeners = new Set<LiveListener>();
  readonly #policy: PhoneNumberPolicy;
  readonly #now: () => number;

  constructor(options: { readonly phoneNumbers: PhoneNumberPolicy; readonly now?: () => number }) {
    this.#policy = options.phoneNumbers;
    this.#now = options.now ?? Date.now;
  }

  /** Every live call (copies are not made: serialise, do not mutate). */
  snapshot(): LiveCall[] {
    return [...this.#calls.values()];
  }

  get(callSid: string): LiveCall | undefined {
    return this.#calls.get(callSid);
  }

  /** Subscribes; returns the unsubscriber. */
  subscribe(listener: LiveListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  streamStarted(call: Parameters<NonNullable<TelemetrySink['streamStarted']>>[0]): void {
    const params = call.start.customParameters;
    if (this.#calls.size >= MAX_LIVE_CALLS) {
      const oldest = this.#calls.keys().next();
      if (!oldest.done) this.#calls.delete(oldest.value);
    }
    const live: LiveCall = {
      callSid: call.callSid,
      direction: params.direction ?? (params.softphone === 'true' ? 'softphone' : 'inbound'),
      from: recordPhoneNumber(params.from, this.#policy),
      to: recordPhoneNumber(params.to, this.#policy),
      startedAtMs: this.#now(),
      agent: call.agent,
      turns: [],
      latenciesMs: [],
      agentSwitches: [],
      bargeIns: [],
      dtmf: [],
      errors: [],
      firstAudioMs: null,
      usage: { responses: 0, inputTokens: 0, outputTokens: 0 },
    };
    this.#calls.set(call.callSid, live);
    // A copy: the queued update must not show events that are queued after it.
    this.#publish({ type: 'call_started', call: structuredClone(live) });
  }

  timeline(callSid: string, event: TimelineEvent): void {
    // Mark echoes arrive every ~100 ms of bot audio: they change nothing the console shows.
    if (event.type === 'mark_echo') return;
    const call = this.#calls.get(callSid);
    if (!call) return;
    applyTimelineEvent(call, event);
    this.#publish({ type: 'call_event', callSid, event });
  }

  callEnded(summary: CallSummary): void {
    if (!this.#calls.delete(summary.callSid)) return;
    this.#publish({ type: 'call_ended', callSid: summary.callSid, reason: summary.reason });
  }

  #publish(update: LiveUpdate): void {
    for (const listener of this.#listeners) listener(update);
  }
}

/** Folds one timeline event into a live call (the browser runs the same fold on the events it receives). */
export function applyTimelineEvent(call: LiveCall, event: TimelineEvent): void {
  switch (event.type) {
    case 'caller_turn':
    case 'bot_turn': {
      const index = call.turns.findIndex((t) => t.itemId === event.turn.itemId);
      if (index >= 0) call.turns[index] = event.turn;
      else call.turns.push(event.turn);
      return;
    }
    case 'turn_latency':
      call.latenciesMs.push(event.latencyMs);
      return;
    case 'first_audio':
      call.firstAudioMs = event.latencyMs;
      return;
    case 'agent_switch':
      call.agentSwitches.push(event);
      call.agent = event.to;
      return;
    case 'instructions_updated':
      call.agent = event.agent;
      return;
    case 'barge_in':
      call.bargeIns.push(event);
      return;
    case 'dtmf':
      call.dtmf.push({ atMs: event.atMs, digit: event.digit ?? null });
      return;
    case 'realtime_error':
      call.errors.push(event);
      return;
    case 'usage':
      call.usage.responses += 1;
      call.usage.inputTokens += event.usage.inputTextTokens + event.usage.inputAudioTokens + event.usage.cachedTextTokens + event.usage.cachedAudioTokens;
      call.usage.outputTokens += event.usage.outputTextTokens + event.usage.outputAudioTokens;
      return;
    case 'mark_echo':
      return;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
