/** The contract shared by the streaming sample-rate converters on the media path. */

/**
 * A stateful PCM16 mono sample-rate converter: successive `process` calls form one continuous stream, so a
 * stream cut into frames or irregular chunks of any length gives bit-identically the output of one whole call.
 *
 * Memory: a returned array may alias the caller's `out` or the resampler's internal buffer and stays valid only
 * until the next call on the same instance; copy it if you need to keep it. When `out` is given and holds at
 * least `maxOutputLength(input.length)` samples, nothing is allocated except the returned view.
 */
export interface StreamResampler {
  /** Sample rate of the input, in hertz. */
  readonly inputRateHz: number;
  /** Sample rate of the output, in hertz. */
  readonly outputRateHz: number;
  /** Delay the filter adds to the signal, in milliseconds (no further hold-back beyond the current frame). */
  readonly latencyMs: number;
  /** Converts the next chunk of the stream (any length, including 0); the input is never modified. */
  process(input: Int16Array, out?: Int16Array): Int16Array;
  /** Ends the stream: emits the filter's delayed tail (as if zeros followed) once, then resets for a new stream. */
  flush(out?: Int16Array): Int16Array;
  /** Forgets all history, as if the instance were new. */
  reset(): void;
  /** Upper bound on the samples one `process` call with `inputLength` samples returns; `flush` returns at most `maxOutputLength(0)`. */
  maxOutputLength(inputLength: number): number;
}
