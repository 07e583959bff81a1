/**
 * One call's Realtime connection that survives its session: a `RealtimeClientLike` over a succession of sessions,
 * so the service, the watchdog and the call actions never see a drop.
 *
 * - A drop (remote close, socket failure, missed pong, `session_expired`) or a fatal client error opens a new
 *   session through the call manager's one construction path (`create`: same agent, tools, audio format, with the
 *   instructions the call runs with now), replays the conversation context as `conversation.item.create` items and,
 *   when the caller's last turn is unanswered or the reply to it was cut, sends `response.create`. Twilio stays
 *   connected throughout: the caller hears what was already queued, then a short pause.
 * - Bounded: at most `maxReconnects` new sessions after drops per call, after `RECONNECT_BACKOFF_MS` (the first
 *   attempt waits 250 ms, later ones 1 s); a refused or failed attempt counts. Then `closed` is emitted with the
 *   last drop's reason (`error` when an attempt failed) and the call ends as today (the `<Connect action>` apology).
 * - Proactive rollover: from `limitMs - rolloverMarginMs` after a session opened, at the first quiet moment (no
 *   response in flight, nothing audible, caller silent for `QUIET_MS`), a new session is opened and seeded while the
 *   old one still serves, then swapped in (make before break: no gap at all). Rollovers do not use up reconnects.
 *
 * During a reconnect, caller audio is dropped, not buffered: it would reach the new session's VAD late, as a turn
 * out of time (the same rule as audio before a session opens), and the gap is short. Text (a keypad turn) and
 * `response.create` are queued and sent, in order, once the new session is seeded.
 */
import { toError } from '../errors.js';
import { Listeners } from '../listeners.js';
import type { Logger } from '../logger.js';
import type {
  RealtimeClientEvent,
  RealtimeClientLike,
  RealtimeClientListener,
  ResponseRequest,
  SendResult,
} from '../infrastructure/realtime-client-events.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';
import { replayItems, type ConversationContext, type ReplayItem } from './conversation-context.js';

/** Wait before each reconnect attempt, by attempt (the last value repeats). */
export const RECONNECT_BACKOFF_MS: readonly number[] = [250, 1_000];

/** How long the caller must have been silent before a rollover may swap sessions. */
export const QUIET_MS = 1_000;

/** How often a due rollover looks for a quiet moment. */
export const ROLLOVER_POLL_MS = 250;

/** How a new session came to be, for logs, counts and the bench. */
export interface SessionChange {
  readonly kind: 'reconnect' | 'rollover';
  /** Reconnects used so far (after drops), this one included for a reconnect. */
  readonly reconnects: number;
  /** `clock.now()` of the drop (reconnect) or of the start of the new session's open (rollover). */
  readonly startedAt: number;
  /** `clock.now()` when the new session was open and seeded. */
  readonly readyAt: number;
  /** Items replayed into the new session. */
  readonly replayed: number;
  /** Whether `response.create` was sent to answer a pending turn. */
  readonly responded: boolean;
}

/** Options of {@link ReconnectingRealtimeClient}. */
export interface ReconnectingRealtimeClientOptions {
  /** The call's first session (maybe pre-warmed while the phone rang; its `connect()` is the caller's to call). */
  readonly first: RealtimeClientLike;
  /** Builds a new session's client (not connected) running `instructions`. */
  readonly create: (instructions: string) => RealtimeClientLike;
  /** The instructions the first session runs. */
  readonly instructions: string;
  /** The conversation so far, read when a new session is seeded. */
  readonly context: () => ConversationContext;
  /** PCM16 samples per millisecond of the client's audio (`serviceSamplesPerMs` of the wire format). */
  readonly samplesPerMs: number;
  readonly maxReconnects: number;
  readonly limitMs: number;
  readonly rolloverMarginMs: number;
  /** True while the caller hears bot audio (a rollover waits until it is not). */
  readonly isAudible: () => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Asks for the answer to a pending turn once a new session is seeded; default `response.create` on it. The call
   * manager passes its response watchdog's `createResponse`, so that answer is watched like any other.
   */
  readonly respond?: () => void;
  /** A session dropped (before the in-flight response is closed out): the conversation recorder cuts that reply. */
  readonly onDropped?: () => void;
  /** A new session is serving the call. */
  readonly onSessionChanged?: (change: SessionChange) => void;
}

type Phase = 'live' | 'reconnecting' | 'closed';

/** See the file comment. */
export class ReconnectingRealtimeClient implements RealtimeClientLike {
  readonly #options: ReconnectingRealtimeClientOptions;
  readonly #log: Logger;
  readonly #listeners: Listeners<RealtimeClientEvent>;
  /** The session whose events are forwarded; undefined while reconnecting. */
  #client: RealtimeClientLike | undefined;
  #unsubscribe: () => void = () => undefined;
  #phase: Phase = 'live';
  #instructions: string;
  /** Audio samples received per assistant item, across sessions (a client forgets its items when it closes). */
  readonly #received = new Map<string, number>();
  #responseInFlight: string | undefined;
  #callerSpeaking = false;
  #lastSpeechAt = Number.NEGATIVE_INFINITY;
  /** Text and response requests made while reconnecting, sent in order once the new session is seeded. */
  readonly #pending: Array<(client: RealtimeClientLike) => void> = [];
  #openWaiters: Array<(opened: boolean) => void> = [];
  #reconnects = 0;
  #rollovers = 0;
  #rolloverTimer: TimerHandle | undefined;
  #rollingOver = false;
  #notDelivered = 0;
  /** How the call's session was lost, reported when no reconnect is left: a failed attempt makes it an error. */
  #lossReason: 'remote' | 'error' = 'remote';

  constructor(options: ReconnectingRealtimeClientOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#instructions = options.instructions;
    this.#listeners = new Listeners<RealtimeClientEvent>((err, event) => this.#log.error({ err, eventType: event.type }, 'realtime client listener failed'));
    this.#adopt(options.first);
    void options.first.opened().then((opened) => {
      if (opened && this.#client === options.first) this.#armRollover();
    });
  }

  /** New sessions opened after drops so far. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Sessions replaced before their limit so far. */
  get rollovers(): number {
    return this.#rollovers;
  }

  connect(): Promise<void> {
    return this.#options.first.connect();
  }

  /**
   * A call resumed on this instance (moved from a draining one): tells the open session the conversation so far and
   * answers a turn left pending. Call once the session is open.
   */
  resume(): { replayed: number; responded: boolean } {
    const client = this.#client;
    return client ? this.#seed(client, true) : { replayed: 0, responded: false };
  }

  async disconnect(): Promise<void> {
    if (this.#phase === 'closed') return;
    const wasReconnecting = this.#phase === 'reconnecting';
    this.#phase = 'closed';
    this.#clearRollover();
    this.#settleOpenWaiters(false);
    const client = this.#client;
    if (client) {
      // The client's `closed {disconnect}` is forwarded as the last event.
      await client.disconnect();
      return;
    }
    if (wasReconnecting) this.#emit({ type: 'closed', reason: 'disconnect' });
  }

  sendRequest(input: Int16Array | string): SendResult {
    const client = this.#client;
    if (client) return client.sendRequest(input);
    if (this.#phase === 'reconnecting' && typeof input === 'string') {
      this.#pending.push((next) => next.sendRequest(input));
      return 'queued';
    }
    this.#notDelivered += 1;
    if (this.#notDelivered === 1 || this.#notDelivered % 100 === 0) {
      this.#log.info({ notDelivered: this.#notDelivered, phase: this.#phase }, 'caller audio dropped while the realtime session reconnects');
    }
    return 'not_delivered';
  }

  opened(): Promise<boolean> {
    const client = this.#client;
    if (client) return client.opened();
    if (this.#phase === 'closed') return Promise.resolve(false);
    return new Promise<boolean>((resolve) => this.#openWaiters.push(resolve));
  }

  updateInstructions(instructions: string): Promise<void> {
    // A session opened later starts with these.
    this.#instructions = instructions;
    return this.#client?.updateInstructions(instructions) ?? Promise.resolve();
  }

  createResponse(request?: ResponseRequest): SendResult {
    const client = this.#client;
    if (client) return client.createResponse(request);
    if (this.#phase !== 'reconnecting') return 'not_delivered';
    this.#pending.push((next) => next.createResponse(request));
    return 'queued';
  }

  deleteItem(itemId: string): boolean {
    return this.#client?.deleteItem(itemId) ?? false;
  }

  addItem(item: ReplayItem): boolean {
    return this.#client?.addItem(item) ?? false;
  }

  truncate(itemId: string, audioEndMs: number): number | undefined {
    return this.#client?.truncate(itemId, audioEndMs);
  }

  cancelResponse(): boolean {
    return this.#client?.cancelResponse() ?? false;
  }

  isResponseInFlight(): boolean {
    return this.#client?.isResponseInFlight() ?? false;
  }

  receivedAudioMs(itemId: string): number {
    return Math.floor((this.#received.get(itemId) ?? 0) / this.#options.samplesPerMs);
  }

  on(listener: RealtimeClientListener): () => void {
    return this.#listeners.add(listener);
  }

  #adopt(client: RealtimeClientLike): void {
    this.#unsubscribe();
    this.#client = client;
    this.#unsubscribe = client.on((event) => this.#onEvent(client, event));
  }

  #onEvent(client: RealtimeClientLike, event: RealtimeClientEvent): void {
    if (client !== this.#client) return;
    switch (event.type) {
      case 'audio':
        this.#received.set(event.itemId, (this.#received.get(event.itemId) ?? 0) + event.pcm.length);
        break;
      case 'response_started':
        this.#responseInFlight = event.responseId;
        break;
      case 'response_done':
        if (this.#responseInFlight === event.responseId) this.#responseInFlight = undefined;
        break;
      case 'speech_started':
        this.#callerSpeaking = true;
        break;
      case 'speech_stopped':
        this.#callerSpeaking = false;
        this.#lastSpeechAt = this.#options.clock.now();
        break;
      case 'error':
        if (!event.recoverable && this.#phase === 'live') {
          this.#log.warn({ err: event.error }, 'realtime session failed');
          return this.#dropped('error');
        }
        break;
      case 'closed':
        if (event.reason !== 'disconnect' && this.#phase === 'live') return this.#dropped(event.reason);
        break;
      default:
        break;
    }
    this.#emit(event);
  }

  /** The live session is gone: close out its response, then reconnect in the background. */
  #dropped(reason: 'remote' | 'error'): void {
    const old = this.#client;
    const droppedAt = this.#options.clock.now();
    this.#unsubscribe();
    this.#unsubscribe = () => undefined;
    this.#client = undefined;
    this.#phase = 'reconnecting';
    this.#lossReason = reason;
    this.#clearRollover();
    this.#callerSpeaking = false;
    this.#log.warn({ reason, reconnects: this.#reconnects, maxReconnects: this.#options.maxReconnects }, 'realtime session dropped');
    this.#safely(() => this.#options.onDropped?.(), 'drop listener failed');
    const responseId = this.#responseInFlight;
    this.#responseInFlight = undefined;
    // The service, the watchdog and the records see the cut reply end; the new session answers the turn again.
    if (responseId !== undefined) this.#emit({ type: 'response_done', responseId, status: 'incomplete' });
    void old?.disconnect().catch((error: unknown) => this.#log.debug({ err: toError(error) }, 'dropped realtime session disconnect failed'));
    void this.#reconnect(droppedAt);
  }

  async #reconnect(droppedAt: number): Promise<void> {
    while (this.#phase === 'reconnecting') {
      if (this.#reconnects >= this.#options.maxReconnects) return this.#giveUp();
      const delayMs = RECONNECT_BACKOFF_MS[Math.min(this.#reconnects, RECONNECT_BACKOFF_MS.length - 1)] ?? 0;
      this.#reconnects += 1;
      await new Promise<void>((resolve) => this.#options.clock.setTimeout(resolve, delayMs));
      if (this.#phase !== 'reconnecting') return;
      const next = this.#options.create(this.#instructions);
      try {
        await next.connect();
      } catch (error) {
        this.#log.warn({ err: toError(error), attempt: this.#reconnects }, 'realtime reconnect failed');
        this.#lossReason = 'error';
        continue;
      }
      if (this.#phase !== 'reconnecting') {
        await next.disconnect().catch(() => undefined);
        return;
      }
      this.#phase = 'live';
      this.#adopt(next);
      const { replayed, responded } = this.#seed(next, true);
      this.#armRollover();
      this.#settleOpenWaiters(true);
      const change: SessionChange = { kind: 'reconnect', reconnects: this.#reconnects, startedAt: droppedAt, readyAt: this.#options.clock.now(), replayed, responded };
      this.#log.info({ ...change, gapMs: Math.round(change.readyAt - droppedAt) }, 'realtime session reconnected');
      this.#safely(() => this.#options.onSessionChanged?.(change), 'session change listener failed');
      return;
    }
  }

  /** Replays the context, then what was asked meanwhile, then (if `respond` and a turn waits) `response.create`. */
  #seed(client: RealtimeClientLike, respond: boolean): { replayed: number; responded: boolean } {
    const context = this.#options.context();
    let replayed = 0;
    for (const item of replayItems(context)) if (client.addItem(item)) replayed += 1;
    const pending = this.#pending.splice(0);
    for (const send of pending) send(client);
    // A queued keypad turn or response request already asks for a reply.
    const responded = respond && context.replyPending && pending.length === 0;
    if (responded) {
      // The new session is adopted already: a watched request reaches it.
      if (this.#options.respond) this.#options.respond();
      else client.createResponse();
    }
    return { replayed, responded };
  }

  #giveUp(): void {
    this.#phase = 'closed';
    this.#log.error({ reconnects: this.#reconnects }, 'realtime session lost: no reconnect left');
    const dropped = this.#pending.splice(0).length;
    if (dropped > 0) this.#log.warn({ dropped }, 'realtime inputs queued during the reconnect were not delivered');
    this.#settleOpenWaiters(false);
    this.#emit({ type: 'closed', reason: this.#lossReason });
  }

  #armRollover(): void {
    this.#clearRollover();
    const dueInMs = Math.max(0, this.#options.limitMs - this.#options.rolloverMarginMs);
    this.#rolloverTimer = this.#options.clock.setTimeout(() => this.#tryRollover(), dueInMs);
  }

  #clearRollover(): void {
    if (this.#rolloverTimer !== undefined) this.#options.clock.clearTimeout(this.#rolloverTimer);
    this.#rolloverTimer = undefined;
  }

  #quiet(): boolean {
    const client = this.#client;
    return (
      client !== undefined &&
      this.#responseInFlight === undefined &&
      !client.isResponseInFlight() &&
      !this.#callerSpeaking &&
      this.#options.clock.now() - this.#lastSpeechAt >= QUIET_MS &&
      !this.#options.isAudible()
    );
  }

  #tryRollover(): void {
    this.#rolloverTimer = undefined;
    if (this.#phase !== 'live' || this.#rollingOver) return;
    if (!this.#quiet()) {
      this.#rolloverTimer = this.#options.clock.setTimeout(() => this.#tryRollover(), ROLLOVER_POLL_MS);
      return;
    }
    void this.#rollover();
  }

  /** Opens and seeds the next session while the current one serves, then swaps at a moment that is still quiet. */
  async #rollover(): Promise<void> {
    this.#rollingOver = true;
    const startedAt = this.#options.clock.now();
    const next = this.#options.create(this.#instructions);
    try {
      await next.connect();
    } catch (error) {
      this.#log.warn({ err: toError(error) }, 'realtime rollover could not open a new session; trying again');
      this.#rollingOver = false;
      if (this.#phase === 'live') this.#rolloverTimer = this.#options.clock.setTimeout(() => this.#tryRollover(), RECONNECT_BACKOFF_MS.at(-1) ?? 1_000);
      return;
    }
    this.#rollingOver = false;
    if (this.#phase !== 'live' || !this.#quiet()) {
      // The caller spoke, or a reply started, while the new session opened: keep the old one and look again.
      await next.disconnect().catch(() => undefined);
      if (this.#phase === 'live') this.#rolloverTimer = this.#options.clock.setTimeout(() => this.#tryRollover(), ROLLOVER_POLL_MS);
      return;
    }
    const old = this.#client;
    this.#adopt(next);
    const { replayed } = this.#seed(next, false);
    this.#rollovers += 1;
    this.#armRollover();
    void old?.disconnect().catch((error: unknown) => this.#log.debug({ err: toError(error) }, 'rolled-over realtime session disconnect failed'));
    const change: SessionChange = { kind: 'rollover', reconnects: this.#reconnects, startedAt, readyAt: this.#options.clock.now(), replayed, responded: false };
    this.#log.info(change, 'realtime session rolled over');
    this.#safely(() => this.#options.onSessionChanged?.(change), 'session change listener failed');
  }

  #settleOpenWaiters(opened: boolean): void {
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const resolve of waiters) resolve(opened);
  }

  #safely(run: () => void, message: string): void {
    try {
      run();
    } catch (error) {
      this.#log.error({ err: toError(error) }, message);
    }
  }

  #emit(event: RealtimeClientEvent): void {
    this.#listeners.emit(event);
  }
}
