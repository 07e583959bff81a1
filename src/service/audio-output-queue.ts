/**
 * The service's outbound audio as an async iterable (pushed by the Realtime client, pulled by the carrier adapter).
 * Chunks not yet pulled are audio the caller has not heard, so a barge-in purges them.
 */
import type { ServiceAudioChunk } from './service-events.js';

/** Single-consumer push/pull queue of audio chunks; iteration ends after `end()`. */
export class AudioOutputQueue implements AsyncIterable<ServiceAudioChunk> {
  private buffer: ServiceAudioChunk[] = [];
  private waiting: ((result: IteratorResult<ServiceAudioChunk>) => void) | undefined;
  private ended = false;
  private readonly onDeliver: ((chunk: ServiceAudioChunk) => void) | undefined;

  /** `onDeliver` sees each chunk at the moment the consumer receives it (what reached the carrier). */
  constructor(onDeliver?: (chunk: ServiceAudioChunk) => void) {
    this.onDeliver = onDeliver;
  }

  /** Adds a chunk; ignored after `end()`. */
  push(chunk: ServiceAudioChunk): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      this.onDeliver?.(chunk);
      waiting({ value: chunk, done: false });
      return;
    }
    this.buffer.push(chunk);
  }

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
