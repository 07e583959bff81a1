/**
 * The caller's keypad on one call: every DTMF key press either goes to a `collect_digits` collection in progress or
 * is relayed, batched, to the model (a user message) and the orchestrator (a caller turn). It needs no Twilio REST
 * credentials: it runs on every call, whether or not telephony actions are enabled.
 *
 * No key press is lost: the relay hands its batch to a `KeypadTurnSink` (the call's `RealtimeService`), which
 * queues it while the Realtime session is still opening and sends it, in order, when it opens. `onRelayed` is told
 * what really happened, after it happened: delivered (at once or once the session opened) or not delivered.
 */
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';
import type { TwilioMediaTransport } from '../telephony/media-transport.js';
import { DigitCollector, type CollectDigitsRequest, type CollectDigitsResult } from './digit-collector.js';

/** Key presses arriving within this gap of each other reach the model as one message ("pressed 1 2 3"). */
export const DTMF_BATCH_MS = 800;

/** Where relayed key presses go: the model and the orchestrator (`RealtimeService.sendKeypadTurn`). */
export interface KeypadTurnSink {
  /** Resolves true once the model got the message (queued until the session opened, if need be), else false. */
  sendKeypadTurn(text: string): Promise<boolean>;
}

/** What became of one relayed batch (for the action log: digit counts, never digits). */
export interface KeypadRelay {
  readonly digitCount: number;
  readonly delivered: boolean;
}

/** Options for {@link Keypad}. */
export interface KeypadOptions {
  readonly transport: Pick<TwilioMediaTransport, 'on'>;
  readonly sink: KeypadTurnSink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly batchMs?: number;
  /** Told after each relayed batch reached the model or failed to. */
  readonly onRelayed?: (relay: KeypadRelay) => void;
}

/** The text a batch of key presses reaches the model as. */
export function keypadMessage(digits: string): string {
  return `The caller pressed ${[...digits].join(' ')} on the phone keypad.`;
}

/** The digits a `keypadMessage` carries, or undefined for any other text (replays read what reached the model). */
export function digitsOfKeypadMessage(text: string): string | undefined {
  const match = /^The caller pressed ((?:[0-9*#A-D] )*[0-9*#A-D]) on the phone keypad\.$/.exec(text);
  return match?.[1]?.replaceAll(' ', '');
}

/** One call's keypad; see the file comment. */
export class Keypad {
  readonly #options: KeypadOptions;
  readonly #collector: DigitCollector;
  readonly #unsubscribe: () => void;
  #pending = '';
  #timer: TimerHandle | undefined;
  #relaying: () => boolean = () => true;
  #disposed = false;

  constructor(options: KeypadOptions) {
    this.#options = options;
    this.#collector = new DigitCollector(options.clock);
    this.#unsubscribe = options.transport.on('dtmf', ({ digit }) => this.press(digit));
  }

  /** True while a `collect_digits` collection waits for keys. */
  get collecting(): boolean {
    return this.#collector.collecting;
  }

  /** Keys pressed while `relaying()` is false (the call is being ended) reach no one. */
  setRelayGate(relaying: () => boolean): void {
    this.#relaying = relaying;
  }

  /** Starts a collection: key presses batched so far are relayed first, then keys go to the collection. */
  collect(request: CollectDigitsRequest): Promise<CollectDigitsResult> {
    this.flush();
    return this.#collector.collect(request);
  }

  /** Ends a collection in progress with what it gathered (`cancelled`). */
  cancelCollection(): void {
    this.#collector.cancel();
  }

  /** One key press (from Twilio's `dtmf` event). */
  press(digit: string): void {
    if (this.#disposed || this.#collector.press(digit)) return;
    if (!this.#relaying()) return;
    this.#pending += digit;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = this.#options.clock.setTimeout(() => this.flush(), this.#options.batchMs ?? DTMF_BATCH_MS);
  }

  /** Relays the batched key presses now (also when the batch gap ends). */
  flush(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const digits = this.#pending;
    this.#pending = '';
    if (digits === '') return;
    const report = (delivered: boolean): void => {
      if (!delivered) this.#options.logger.warn({ digitCount: digits.length }, 'key presses not delivered to the model');
      this.#options.onRelayed?.({ digitCount: digits.length, delivered });
    };
    this.#options.sink.sendKeypadTurn(keypadMessage(digits)).then(report, (error: unknown) => {
      this.#options.logger.warn({ err: toError(error) }, 'keypad relay failed');
      report(false);
    });
  }

  /** Stops listening; a batch still waiting is relayed now (the session may still take it), a collection ends. */
  dispose(): void {
    if (this.#disposed) return;
    this.flush();
    this.#disposed = true;
    this.#unsubscribe();
    this.#collector.cancel();
  }
}
