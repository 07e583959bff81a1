/**
 * The `StreamResampler` of a call whose service runs at the carrier's own rate (`REALTIME_AUDIO_FORMAT=pcmu`):
 * samples pass through unchanged, with no filter, no delay and no tail.
 */
import type { StreamResampler } from './stream-resampler.js';

/** Identity converter at `rateHz`; `process` returns its input (or a copy into `out` when given). */
export function createPassthroughResampler(rateHz: number): StreamResampler {
  return {
    inputRateHz: rateHz,
    outputRateHz: rateHz,
    latencyMs: 0,
    process(input: Int16Array, out?: Int16Array): Int16Array {
      if (out === undefined || out.length < input.length) return input;
      out.set(input);
      return out.length === input.length ? out : out.subarray(0, input.length);
    },
    flush(): Int16Array {
      return new Int16Array(0);
    },
    reset(): void {
      // No history to forget.
    },
    maxOutputLength(inputLength: number): number {
      return inputLength;
    },
  };
}
