/**
 * The service's outbound audio as an async iterable (pushed by the Realtime client, pulled by the carrier adapter).
 * Chunks not yet pulled are audio the caller has not heard, so a barge-in purges them.
 *
 * A chunk pushed while the consumer waits is handed over in a microtask, not at once: `ws` parses every frame of
 * one socket read synchronously, so an audio delta and the `speech_started` right behind it are handled in the same
 * tick. Delivering at once would put the delta in the consumer's hands before the barge-in could purge it, and it
 * would reach the caller after the carrier's `clear`.
 */
import type { ServiceAudioChunk } from './service-events.js';

/** Single-consumer push/pull queue of audio chunks; iteration ends after `end()`. */
export class AudioOutputQueue implements AsyncIterable<ServiceAudioChunk> {
  private buffer: ServiceAudioChunk[] = [];
  private waiting: ((result: IteratorResult<ServiceAudioChunk>) => void) | undefined;
  private deliveryScheduled = false;
  private ended = false;
  private readonly onDeliver: ((chunk: ServiceAudioChunk) => void) | undefined;

  /** `onDeliver` sees each chunk at the moment the consumer receives it (what reached the carrier). */
  constructor(onDeliver?: (chunk: ServiceAudioChunk) => void) {
    this.onDeliver = onDeliver;
  }

  /** Adds a chunk; ignored after `end()`. */
  push(chunk: ServiceAudioChunk): void {
    if (this.ended) return;
    this.buffer.push(chunk);
    if (this.waiting && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(this.deliverToWaiting);
    }
  }

  /** Hands the oldest chunk to the waiting consumer, unless a purge emptied the buffer in the meantime. */
  private readonly deliverToWaiting = (): void => {
    this.deliveryScheduled = false;
    const waiting = this.waiting;
    const chunk = waiting ? this.buffer.shift() : undefined;
    if (!waiting || !chunk) return;
    this.waiting = undefined;
    this.onDeliver?.(chunk);
    waiting({ value: chunk, done: false });
  };

  /** Drops every buffered chunk and returns the item ids they belonged to, in queue order. */
  purge(): string[] {
    const ids: string[] = [];
    for (const chunk of this.buffer) if (!ids.includes(chunk.itemId)) ids.push(chunk.itemId);
    this.buffer = [];
    return ids;
  }

  /** Ends iteration once; buffered chunks are discarded (the call is over). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.buffer = [];
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  /** Chunks pushed and not yet handed to the consumer (audio the caller cannot have heard). */
  get buffered(): number {
    return this.buffer.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<ServiceAudioChunk> {
    return {
      next: () => {
        const chunk = this.buffer.shift();
        if (chunk) {
          this.onDeliver?.(chunk);
          return Promise.resolve({ value: chunk, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
