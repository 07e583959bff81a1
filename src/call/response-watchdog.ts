/**
 * The response watchdog of one call: the caller must never wait in silence for a reply that is not coming.
 * A response is watched from the moment it is asked for (`createResponse`, e.g. the greeting) or the server starts
 * one (`response.created` of a VAD turn) until its `response.done`. It has failed when
 * - no event of it (created, audio, transcript, tool call, done) arrives for `timeoutMs`, or
 * - its `response.done` carries status `failed` (the server's `error` + failed response of an outage).
 * The first failure is retried once at once (the stuck response is cancelled, the same request sent again); a
 * second failure gives up: `onGiveUp` hands the call to its fallback (the stream closes and Twilio plays the
 * `<Connect action>` apology), since a model that cannot answer cannot apologise either.
 *
 * It wraps the call's `RealtimeClientLike` (so every `createResponse`, whoever makes it, is seen) and passes all
 * else through; the service and the actions get the wrapper.
 */
import type {
  RealtimeClientEvent,
  RealtimeClientLike,
  RealtimeClientListener,
  ResponseRequest,
} from '../infrastructure/realtime-client-events.js';
import type { Logger } from '../logger.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';

/** Default time a watched response may go without any event. */
export const DEFAULT_RESPONSE_WATCHDOG_MS = 8_000;

/** Why the watchdog acted. */
export type ResponseFailure = 'response_stalled' | 'response_failed';

/** Options for {@link ResponseWatchdog}. */
export interface ResponseWatchdogOptions {
  readonly client: RealtimeClientLike;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timeoutMs?: number;
  /** Called once when a retried response failed too; the owner ends the call into its fallback. */
  readonly onGiveUp: (failure: ResponseFailure) => void;
}

interface Watched {
  /** What was asked for (undefined for a response the server started by itself: retried with no instructions). */
  readonly request: ResponseRequest | undefined;
  /** The response id once `response.created` named it; undefined while waiting for it. */
  responseId: string | undefined;
  retried: boolean;
}

/** Watches one call's responses; use `client` in place of the wrapped client. */
export class ResponseWatchdog {
  /** The wrapped client: identical to the original except that `createResponse` is watched. */
  readonly client: RealtimeClientLike;
  readonly #inner: RealtimeClientLike;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #onGiveUp: (failure: ResponseFailure) => void;
  readonly #unsubscribe: () => void;
  #watched: Watched | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;
  /** Retries and give-ups so far, for the call record and tests. */
  retries = 0;

  constructor(options: ResponseWatchdogOptions) {
    this.#inner = options.client;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_RESPONSE_WATCHDOG_MS;
    this.#onGiveUp = options.onGiveUp;
    this.#unsubscribe = this.#inner.on((event) => this.#onEvent(event));
    this.client = this.#wrap();
  }

  /** Stops watching (the call ended). Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
    this.#watched = undefined;
    this.#unsubscribe();
  }

  #wrap(): RealtimeClientLike {
    const inner = this.#inner;
    return {
      connect: () => inner.connect(),
      disconnect: () => inner.disconnect(),
      sendRequest: (input) => inner.sendRequest(input),
      opened: () => inner.opened(),
      updateInstructions: (instructions) => inner.updateInstructions(instructions),
      createResponse: (request?: ResponseRequest) => {
        this.#watch(request);
        return inner.createResponse(request);
      },
      deleteItem: (itemId) => inner.deleteItem(itemId),
      addItem: (item) => inner.addItem(item),
      truncate: (itemId, audioEndMs) => inner.truncate(itemId, audioEndMs),
      cancelResponse: () => inner.cancelResponse(),
      isResponseInFlight: () => inner.isResponseInFlight(),
      receivedAudioMs: (itemId) => inner.receivedAudioMs(itemId),
      on: (listener: RealtimeClientListener) => inner.on(listener),
    };
  }

  #watch(request: ResponseRequest | undefined): void {
    if (this.#stopped) return;
    this.#watched = { request, responseId: undefined, retried: false };
    this.#arm();
  }

  #onEvent(event: RealtimeClientEvent): void {
    if (this.#stopped) return;
    switch (event.type) {
      case 'response_started': {
        const watched = this.#watched;
        if (watched && watched.responseId === undefined) watched.responseId = event.responseId;
        else if (!watched || watched.responseId !== event.responseId) {
          // A response the server started by itself (a VAD turn, a tool call's follow-up).
          this.#watched = { request: undefined, responseId: event.responseId, retried: false };
        }
        this.#arm();
        return;
      }
      case 'audio':
      case 'tool_call':
        if (this.#watched?.responseId === event.responseId) this.#arm();
        return;
      case 'transcript':
        if (event.role === 'assistant' && this.#watched?.responseId !== undefined) this.#arm();
        return;
      case 'response_done': {
        const watched = this.#watched;
        if (!watched || watched.responseId !== event.responseId) return;
        if (event.status === 'failed') {
          this.#fail('response_failed');
          return;
        }
        this.#watched = undefined;
        this.#disarm();
        return;
      }
      case 'closed':
        // The session is gone; the call owner ends the call on this event itself.
        this.#watched = undefined;
        this.#disarm();
        return;
      case 'speech_started':
      case 'speech_stopped':
      case 'user_item':
      case 'output_item':
      case 'error':
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  #fail(failure: ResponseFailure): void {
    const watched = this.#watched;
    if (!watched || this.#stopped) return;
    if (!watched.retried) {
      this.retries += 1;
      this.#log.warn({ failure, responseId: watched.responseId, timeoutMs: this.#timeoutMs }, 'response failed; retrying once');
      // A stalled response still counts as in flight: cancel it, or the server refuses the retry.
      if (this.#inner.isResponseInFlight()) this.#inner.cancelResponse();
      this.#watched = { request: watched.request, responseId: undefined, retried: true };
      this.#arm();
      this.#inner.createResponse(watched.request);
      return;
    }
    this.#log.error({ failure, responseId: watched.responseId }, 'retried response failed too; handing the call to the fallback');
    this.#watched = undefined;
    this.#disarm();
    this.#onGiveUp(failure);
  }

  #arm(): void {
    this.#disarm();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#fail('response_stalled');
    }, this.#timeoutMs);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
