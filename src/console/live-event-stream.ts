/**
 * One console's Server-Sent Events stream of the live board. Updates are queued and written in batches (one SSE
 * `message` holding a JSON array, every `batchMs`), so 200 live calls cost the server a few writes per second per
 * console, not one per event. The queue is bounded: when a slow browser lets it reach `maxQueued` updates (or the
 * socket stops draining), the queue is dropped and the next flush sends a `snapshot` instead (drop-and-resync), so
 * a console can never hold the server's memory.
 */
import type { LiveCall, LiveCallBoard, LiveUpdate } from './live-board.js';

/** Batch period (ms). */
export const DEFAULT_BATCH_MS = 250;
/** Updates queued per connection at most before a resync. */
export const DEFAULT_MAX_QUEUED = 2_000;
/** Bytes the socket may hold unsent before the stream counts as stalled and resyncs. */
export const MAX_UNSENT_BYTES = 1 << 20;

/** Where the stream writes (Node's `ServerResponse` / socket in production, a recorder in tests). */
export interface EventSink {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

/** What a flush sends. */
export type StreamMessage = { readonly type: 'snapshot'; readonly calls: readonly LiveCall[] } | { readonly type: 'updates'; readonly updates: readonly LiveUpdate[] };

/** Formats one SSE message. */
export function sseMessage(message: StreamMessage): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}

/** Streams the board to one sink until `close()`. */
export class LiveEventStream {
  readonly #board: LiveCallBoard;
  readonly #sink: EventSink;
  readonly #maxQueued: number;
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;
  #queue: LiveUpdate[] = [];
  #resync = true;
  /** Resyncs so far (drops), for tests and logs. */
  resyncs = 0;

  constructor(options: { readonly board: LiveCallBoard; readonly sink: EventSink; readonly batchMs?: number; readonly maxQueued?: number }) {
    this.#board = options.board;
    this.#sink = options.sink;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#unsubscribe = options.board.subscribe((update) => this.#enqueue(update));
    this.#timer = setInterval(() => this.flush(), options.batchMs ?? DEFAULT_BATCH_MS);
    this.#timer.unref();
    this.flush();
  }

  /** Updates waiting for the next flush. */
  get queued(): number {
    return this.#queue.length;
  }

  #enqueue(update: LiveUpdate): void {
    if (this.#resync) return;
    if (this.#queue.length >= this.#maxQueued) {
      this.#dropQueue();
      return;
    }
    this.#queue.push(update);
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#resync = true;
    this.resyncs += 1;
  }

  /** Writes what is queued (or a snapshot after a drop); does nothing while the socket holds too much unsent. */
  flush(): void {
    if (this.#sink.writableLength > MAX_UNSENT_BYTES) {
      this.#dropQueue();
      return;
    }
    if (this.#resync) {
      this.#resync = false;
      this.#sink.write(sseMessage({ type: 'snapshot', calls: this.#board.snapshot() }));
      return;
    }
    if (this.#queue.length === 0) return;
    const updates = this.#queue;
    this.#queue = [];
    this.#sink.write(sseMessage({ type: 'updates', updates }));
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.#queue = [];
  }
}
