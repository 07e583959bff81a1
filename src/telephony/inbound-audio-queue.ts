/**
 * A bounded single-consumer queue of PCM chunks between the socket (push, 50 frames a second) and the service
 * (async iteration). Buffers are pooled: a yielded chunk stays valid until the consumer asks for the next one,
 * then its buffer is reused. When the consumer lags beyond capacity the oldest chunk is dropped and counted.
 *
 * With `mergeSamples`, chunks that are already waiting when the consumer asks are joined into one (up to that many
 * samples). A chunk is handed to a parked consumer in a microtask, so frames parsed from one socket read (after a
 * stall, several arrive together) reach the consumer as one chunk: one Realtime append, one system call, instead of
 * one per frame. Nothing waits for a chunk that has not arrived, so joining adds no delay.
 */

/** Options for `InboundAudioQueue`. */
export interface InboundAudioQueueOptions {
  /** Chunks held at most before the oldest is dropped. */
  readonly capacityChunks: number;
  /** Largest chunk in samples; longer pushes are split. */
  readonly maxChunkSamples: number;
  /** Largest chunk the consumer gets by joining queued chunks; 0 or absent: chunks are yielded one by one. */
  readonly mergeSamples?: number | undefined;
}

interface Slot {
  readonly buffer: Int16Array;
  length: number;
}

/** Bounded, pooled PCM queue consumed with `for await`. */
export class InboundAudioQueue implements AsyncIterable<Int16Array> {
  readonly #capacity: number;
  readonly #maxChunkSamples: number;
  /** Ring of queued slots. */
  readonly #queue: (Slot | undefined)[];
  #head = 0;
  #count = 0;
  readonly #free: Slot[] = [];
  /** The slot last handed to the consumer; returned to the pool when it asks for the next. */
  #held: Slot | undefined;
  #waiter: ((result: IteratorResult<Int16Array>) => void) | undefined;
  #ended = false;
  #dropped = 0;
  #iterating = false;
  readonly #merged: Slot | undefined;
  #deliveryScheduled = false;

  constructor(options: InboundAudioQueueOptions) {
    if (!(options.capacityChunks >= 1)) throw new RangeError(`capacityChunks must be >= 1, got ${options.capacityChunks}`);
    if (!(options.maxChunkSamples >= 1)) throw new RangeError(`maxChunkSamples must be >= 1, got ${options.maxChunkSamples}`);
    this.#capacity = options.capacityChunks;
    this.#maxChunkSamples = options.maxChunkSamples;
    this.#queue = new Array<Slot | undefined>(this.#capacity).fill(undefined);
    const mergeSamples = options.mergeSamples ?? 0;
    if (!(mergeSamples >= 0)) throw new RangeError(`mergeSamples must be >= 0, got ${mergeSamples}`);
    this.#merged = mergeSamples > 0 ? { buffer: new Int16Array(mergeSamples), length: 0 } : undefined;
  }

  /** Chunks dropped because the consumer lagged. */
  get droppedChunks(): number {
    return this.#dropped;
  }

  /** Chunks waiting for the consumer. */
  get length(): number {
    return this.#count;
  }

  /** Copies `samples` in (the caller may reuse its array at once); returns how many old chunks were dropped. */
  push(samples: Int16Array): number {
    if (this.#ended) return 0;
    let dropped = 0;
    for (let offset = 0; offset < samples.length; offset += this.#maxChunkSamples) {
      const part = samples.subarray(offset, Math.min(samples.length, offset + this.#maxChunkSamples));
      dropped += this.#pushOne(part);
    }
    return dropped;
  }

  /** Ends the iteration once the queued chunks are consumed. */
  end(): void {
    this.#ended = true;
    if (this.#waiter && this.#count === 0) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter({ done: true, value: undefined });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Int16Array> {
    if (this.#iterating) throw new Error('InboundAudioQueue supports a single consumer');
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.end();
        this.#release();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  #pushOne(part: Int16Array): number {
    let dropped = 0;
    if (this.#count === this.#capacity) {
      this.#free.push(this.#dequeue());
      this.#dropped += 1;
      dropped = 1;
    }
    const slot = this.#takeFreeSlot();
    slot.buffer.set(part);
    slot.length = part.length;
    this.#queue[(this.#head + this.#count) % this.#capacity] = slot;
    this.#count += 1;
    if (this.#waiter && !this.#deliveryScheduled) {
      // Hand over after the current task's other pushes (a socket read's further frames) have joined the queue.
      this.#deliveryScheduled = true;
      queueMicrotask(this.#deliver);
    }
    return dropped;
  }

  readonly #deliver = (): void => {
    this.#deliveryScheduled = false;
    const waiter = this.#waiter;
    if (!waiter || this.#count === 0) return;
    this.#waiter = undefined;
    waiter({ done: false, value: this.#take() });
  };

  #next(): Promise<IteratorResult<Int16Array>> {
    this.#release();
    if (this.#count > 0) return Promise.resolve({ done: false, value: this.#take() });
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** The next chunk for the consumer: the oldest queued one, joined with those behind it when merging allows. */
  #take(): Int16Array {
    const first = this.#dequeue();
    const merged = this.#merged;
    const next = this.#queue[this.#head];
    if (merged === undefined || next === undefined || first.length + next.length > merged.buffer.length) {
      this.#held = first;
      return first.buffer.subarray(0, first.length);
    }
    merged.buffer.set(first.buffer.subarray(0, first.length));
    merged.length = first.length;
    this.#free.push(first);
    while (this.#count > 0) {
      const slot = this.#queue[this.#head] as Slot;
      if (merged.length + slot.length > merged.buffer.length) break;
      merged.buffer.set(slot.buffer.subarray(0, slot.length), merged.length);
      merged.length += slot.length;
      this.#free.push(this.#dequeue());
    }
    return merged.buffer.subarray(0, merged.length);
  }

  #dequeue(): Slot {
    const slot = this.#queue[this.#head] as Slot;
    this.#queue[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#capacity;
    this.#count -= 1;
    return slot;
  }

  #release(): void {
    // The merge buffer is never #held: it is reused by the next merge, after the consumer asked for the next chunk.
    if (this.#held) this.#free.push(this.#held);
    this.#held = undefined;
  }

  #takeFreeSlot(): Slot {
    const slot = this.#free.pop();
    if (slot) return slot;
    // At most capacity + 1 (held) + 1 (being filled while full) buffers ever exist.
    return { buffer: new Int16Array(this.#maxChunkSamples), length: 0 };
  }
}
