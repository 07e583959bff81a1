/**
 * The project's one small typed event emitter: a set of listeners of one event type. A listener that throws is
 * reported through `onListenerError` and the others still run: nothing may throw back into a socket's receive
 * loop or a call's event flow.
 */
import { toError } from './errors.js';

/** A listener of events of type `E`. */
export type Listener<E> = (event: E) => void;

/** Listeners of one event type; see the file comment. */
export class Listeners<E> {
  readonly #listeners = new Set<Listener<E>>();
  readonly #onListenerError: (error: Error, event: E) => void;

  constructor(onListenerError: (error: Error, event: E) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: Listener<E>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener with `event`, in the order they were added. */
  emit(event: E): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(toError(error), event);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
