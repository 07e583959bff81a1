/**
 * The typed events a media transport emits, and the small listener set behind them. A listener that throws is
 * logged and skipped: nothing may throw back into the socket's receive loop.
 */
import { Listeners } from '../listeners.js';
import type { Logger } from '../logger.js';

/** Events of `TwilioMediaTransport`, by name. */
export interface MediaTransportEvents {
  /** The caller pressed a key. Personal data: log only under the redacted `digit` key. */
  dtmf: { readonly digit: string };
  /**
   * Twilio echoed a mark (played, or flushed by a clear); for observers, the transport tracks playback itself.
   * `roundTripMs`: ms from sending the mark to its echo (undefined for an echo of no mark we sent); `stale`: the
   * echo is of a mark flushed by a `clear`, not of played audio.
   */
  mark: { readonly name: string; readonly roundTripMs?: number | undefined; readonly stale?: boolean | undefined };
  /** Twilio ended the stream: hang-up, or the TwiML was replaced (a transfer); not necessarily the end of the call. */
  stop: { readonly callSid: string };
  /** The socket is gone; `local` when `close()` was called, `remote` otherwise. */
  closed: { readonly reason: 'local' | 'remote'; readonly code: number };
}

/** Listener of one event. */
export type MediaTransportListener<K extends keyof MediaTransportEvents> = (payload: MediaTransportEvents[K]) => void;

type ListenerSets = { [K in keyof MediaTransportEvents]: Listeners<MediaTransportEvents[K]> };

/** A closed, typed event emitter (one `Listeners` per event name) that never lets a listener's exception escape. */
export class TransportEventEmitter {
  readonly #listeners: ListenerSets;

  constructor(logger: Logger) {
    const report = (event: keyof MediaTransportEvents) => (err: Error) => logger.error({ err, event }, 'media transport listener failed');
    this.#listeners = {
      dtmf: new Listeners(report('dtmf')),
      mark: new Listeners(report('mark')),
      stop: new Listeners(report('stop')),
      closed: new Listeners(report('closed')),
    };
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof MediaTransportEvents>(event: K, listener: MediaTransportListener<K>): () => void {
    return (this.#listeners[event] as Listeners<MediaTransportEvents[K]>).add(listener);
  }

  /** Calls every listener of `event` with `payload`. */
  emit<K extends keyof MediaTransportEvents>(event: K, payload: MediaTransportEvents[K]): void {
    (this.#listeners[event] as Listeners<MediaTransportEvents[K]>).emit(payload);
  }

  /** Drops every listener (after the transport closed). */
  removeAll(): void {
    for (const listeners of Object.values(this.#listeners)) listeners.clear();
  }
}
