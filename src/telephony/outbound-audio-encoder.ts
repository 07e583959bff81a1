/**
 * Outbound audio for one call: PCM16 at the service's rate → the call's converter to 8 kHz (a pass-through for `pcmu`,
 * the stateful 24k→8k downsampler for `pcm16`) → μ-law, cut into fixed-size chunks
 * for Twilio `media` messages. Chunks are handed to `onChunk` as a view of a reused buffer.
 */
import { MULAW_BYTES_PER_MS } from '../audio/constants.js';
import { muLawEncode } from '../audio/mulaw.js';
import type { StreamResampler } from '../audio/stream-resampler.js';

/** Input is converted in slices of at most this many samples (100 ms at 24 kHz), so scratch buffers stay fixed. */
const INPUT_SLICE_SAMPLES = 2400;

/** Options for `OutboundAudioEncoder`. */
export interface OutboundAudioEncoderOptions {
  /** This call's own converter from the service's rate to 8 kHz; never shared between calls. */
  readonly downsampler: StreamResampler;
  /** Duration of one full chunk. */
  readonly chunkMs: number;
  /** Receives each chunk of μ-law bytes; the array is reused after the callback returns. */
  readonly onChunk: (mulaw: Uint8Array) => void;
}

/** Turns the service's PCM16 into μ-law chunks; not reentrant. */
export class OutboundAudioEncoder {
  readonly #downsampler: StreamResampler;
  readonly #onChunk: (mulaw: Uint8Array) => void;
  readonly #chunk: Uint8Array;
  #filled = 0;
  readonly #pcm8k: Int16Array;
  readonly #mulaw: Uint8Array;

  constructor(options: OutboundAudioEncoderOptions) {
    if (!(options.chunkMs > 0)) throw new RangeError(`chunkMs must be positive, got ${options.chunkMs}`);
    this.#downsampler = options.downsampler;
    this.#onChunk = options.onChunk;
    this.#chunk = new Uint8Array(Math.round(options.chunkMs * MULAW_BYTES_PER_MS));
    this.#pcm8k = new Int16Array(this.#downsampler.maxOutputLength(INPUT_SLICE_SAMPLES));
    this.#mulaw = new Uint8Array(this.#pcm8k.length);
  }

  /** μ-law bytes waiting for a full chunk. */
  get pendingBytes(): number {
    return this.#filled;
  }

  /** Adds audio; every full chunk is emitted at once. */
  write(pcm: Int16Array): void {
    for (let offset = 0; offset < pcm.length; offset += INPUT_SLICE_SAMPLES) {
      const slice = pcm.subarray(offset, Math.min(pcm.length, offset + INPUT_SLICE_SAMPLES));
      this.#append(muLawEncode(this.#downsampler.process(slice, this.#pcm8k), this.#mulaw));
    }
  }

  /** Emits the partial chunk, if any, so a pause does not hold the tail back. */
  flushPartial(): void {
    if (this.#filled === 0) return;
    const length = this.#filled;
    this.#filled = 0;
    this.#onChunk(this.#chunk.subarray(0, length));
  }

  /** Ends the current item: emits the filter's delayed tail and the partial chunk; the filter starts fresh. */
  finish(): void {
    this.#append(muLawEncode(this.#downsampler.flush(this.#pcm8k), this.#mulaw));
    this.flushPartial();
  }

  /** Drops the partial chunk and the filter history (after a `clear`). */
  discard(): void {
    this.#filled = 0;
    this.#downsampler.reset();
  }

  #append(mulaw: Uint8Array): void {
    let offset = 0;
    while (offset < mulaw.length) {
      const take = Math.min(mulaw.length - offset, this.#chunk.length - this.#filled);
      this.#chunk.set(mulaw.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.#chunk.length) {
        this.#filled = 0;
        this.#onChunk(this.#chunk);
      }
    }
  }
}
