/**
 * Tells the other instances that a call's media stream was admitted here, so the instance that pre-warmed a Realtime
 * session for that CallSid (its voice webhook landed there) closes it at once instead of holding it to the TTL.
 * Production uses Postgres `LISTEN/NOTIFY` (`postgres-stream-started-bus.ts`) when `DATABASE_URL` is set; one
 * process on SQLite needs no bus (its own pre-warm is adopted by its own stream). The in-memory hub below joins
 * several apps of one process (tests, harnesses) the same way.
 *
 * Delivery is best effort: an announcement lost while a listener reconnects only means that pre-warm lives to its TTL.
 */

/** Told the CallSid of a stream another instance admitted. Must not throw. */
export type StreamStartedListener = (callSid: string) => void;

/** One instance's view of the bus. */
export interface StreamStartedBus {
  /** Announces that `callSid`'s media stream was admitted on this instance. Never throws; failures are logged. */
  publish(callSid: string): void;
  /** Subscribes to the streams admitted on the *other* instances; returns the unsubscribe function. */
  subscribe(listener: StreamStartedListener): () => void;
  /** Stops listening (the instance is shutting down); idempotent. */
  close(): Promise<void>;
}

/** Listeners of one bus view, called safely. */
export class StreamStartedListeners {
  readonly #listeners = new Set<StreamStartedListener>();

  add(listener: StreamStartedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(callSid: string): void {
    for (const listener of this.#listeners) listener(callSid);
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/** Several instances in one process: each `bus()` is one instance's view; announcements reach the others. */
export class MemoryStreamStartedHub {
  readonly #views = new Set<StreamStartedListeners>();

  /** A new instance's view. */
  bus(): StreamStartedBus {
    const own = new StreamStartedListeners();
    this.#views.add(own);
    return {
      publish: (callSid) => {
        // Asynchronous like a database round trip: the publisher's own call path finishes first.
        queueMicrotask(() => {
          for (const view of this.#views) if (view !== own) view.emit(callSid);
        });
      },
      subscribe: (listener) => own.add(listener),
      close: async () => {
        own.clear();
        this.#views.delete(own);
      },
    };
  }
}
