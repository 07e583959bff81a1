/**
 * Streaming 8 kHz -> 24 kHz PCM16 upsampler: a polyphase form of the third-band prototype in `fir-design.ts`.
 *
 * Output sample 3n+p (at 24 kHz) is 3 * sum_j h[3j+p] * x[n-j]. With the centre tap on phase 2 and every third
 * tap from it zero, phase 2 is a pure delay (x[n-19], copied exactly), and phases 0 and 1 are 40-tap filters that
 * are each other's mirror image. Their sum and difference therefore each need only 20 multiplies:
 *   out0 = S + Df, out1 = S - Df with S = sum cs[j](a+b), Df = sum cd[j](a-b), a = x[n-j], b = x[n-39+j].
 * Three outputs cost 40 multiplies instead of 119. Every input sample yields three outputs at once, so nothing is
 * held back beyond the filter's 59-sample (2.46 ms) group delay.
 */
import { REALTIME_SAMPLE_RATE_HZ, RESAMPLE_FACTOR, TWILIO_SAMPLE_RATE_HZ } from './constants.js';
import { RESAMPLER_FILTER_DELAY_SAMPLES, RESAMPLER_FILTER_TAPS, designNyquistLowpass } from './fir-design.js';
import type { StreamResampler } from './stream-resampler.js';

/** Taps per non-trivial polyphase branch (phases 0 and 1). */
const PHASE_TAPS = (RESAMPLER_FILTER_TAPS + 1) / RESAMPLE_FACTOR;
/** Mirrored tap pairs per branch. */
const HALF_TAPS = PHASE_TAPS / 2;
/** Past input samples a branch reads besides the current one. */
const HISTORY = PHASE_TAPS - 1;
/** Input delay of the pass-through phase 2 (centre tap 59 = 3 * 19 + 2). */
const COPY_LAG = (RESAMPLER_FILTER_DELAY_SAMPLES - 2) / RESAMPLE_FACTOR;
/** Input samples converted per pass over the history buffer; sizes the buffer, not the allowed input. */
const BLOCK = 2048;
/** Zero input samples that push the whole delayed tail out on flush. */
const FLUSH_INPUT = Math.ceil(RESAMPLER_FILTER_DELAY_SAMPLES / RESAMPLE_FACTOR);

if (!Number.isInteger(PHASE_TAPS) || HALF_TAPS * 2 !== PHASE_TAPS || RESAMPLER_FILTER_DELAY_SAMPLES % 3 !== 2) {
  throw new Error('upsampler: prototype length must make phases 0/1 even-length mirrors with the centre on phase 2');
}

const { SUM_TAPS, DIFF_TAPS } = buildTaps();

function buildTaps(): { SUM_TAPS: Float64Array; DIFF_TAPS: Float64Array } {
  const h = designNyquistLowpass();
  const phase0 = new Float64Array(PHASE_TAPS);
  let total = 0;
  for (let j = 0; j < PHASE_TAPS; j++) {
    phase0[j] = RESAMPLE_FACTOR * (h[RESAMPLE_FACTOR * j] as number);
    total += phase0[j] as number;
  }
  // Each branch gets DC gain exactly 1, so a constant input gives a constant output on all three phases.
  for (let j = 0; j < PHASE_TAPS; j++) phase0[j] = (phase0[j] as number) / total;
  const sum = new Float64Array(HALF_TAPS);
  const diff = new Float64Array(HALF_TAPS);
  for (let j = 0; j < HALF_TAPS; j++) {
    const early = phase0[j] as number;
    const late = phase0[PHASE_TAPS - 1 - j] as number;
    sum[j] = (early + late) / 2;
    diff[j] = (early - late) / 2;
  }
  return { SUM_TAPS: sum, DIFF_TAPS: diff };
}

const FLUSH_ZEROS = new Int16Array(FLUSH_INPUT);

/** Creates a stateful 8 kHz -> 24 kHz PCM16 mono upsampler (see `StreamResampler` for the aliasing rules). */
export function createUpsampler8kTo24k(): StreamResampler {
  const capacity = HISTORY + BLOCK;
  const history = new Float64Array(capacity);
  let fill = HISTORY; // leading zeros stand for the silence before the stream starts
  let started = false;
  let scratch = new Int16Array(RESAMPLE_FACTOR * 160 + RESAMPLE_FACTOR * FLUSH_INPUT);

  function maxOutputLength(inputLength: number): number {
    return RESAMPLE_FACTOR * (Math.max(0, inputLength) + FLUSH_INPUT);
  }

  function target(needed: number, out: Int16Array | undefined): Int16Array {
    if (out !== undefined && out.length >= needed) return out;
    if (scratch.length < needed) scratch = new Int16Array(needed);
    return scratch;
  }

  /** Converts `input` into `dst` from index 0 and returns the number of samples written (3 per input sample). */
  function run(input: Int16Array, dst: Int16Array): number {
    const n = input.length;
    const buf = history;
    const cs = SUM_TAPS;
    const cd = DIFF_TAPS;
    let o = 0;
    let i = 0;
    while (i < n) {
      if (fill === capacity) {
        buf.copyWithin(0, capacity - HISTORY, capacity);
        fill = HISTORY;
      }
      const take = Math.min(n - i, capacity - fill);
      for (let k = 0; k < take; k++) buf[fill + k] = input[i + k] as number;
      const end = fill + take;
      for (let p = fill; p < end; p++) {
        let s = 0;
        let d = 0;
        for (let j = 0, q = p - HISTORY; j < HALF_TAPS; j++, q++) {
          const a = buf[p - j] as number;
          const b = buf[q] as number;
          s += (cs[j] as number) * (a + b);
          d += (cd[j] as number) * (a - b);
        }
        let y0 = Math.round(s + d);
        let y1 = Math.round(s - d);
        y0 = y0 > 32767 ? 32767 : y0 < -32768 ? -32768 : y0;
        y1 = y1 > 32767 ? 32767 : y1 < -32768 ? -32768 : y1;
        dst[o] = y0;
        dst[o + 1] = y1;
        dst[o + 2] = buf[p - COPY_LAG] as number;
        o += RESAMPLE_FACTOR;
      }
      fill = end;
      i += take;
    }
    return o;
  }

  function reset(): void {
    history.fill(0);
    fill = HISTORY;
    started = false;
  }

  return {
    inputRateHz: TWILIO_SAMPLE_RATE_HZ,
    outputRateHz: REALTIME_SAMPLE_RATE_HZ,
    latencyMs: (RESAMPLER_FILTER_DELAY_SAMPLES / REALTIME_SAMPLE_RATE_HZ) * 1000,
    process(input: Int16Array, out?: Int16Array): Int16Array {
      const needed = RESAMPLE_FACTOR * input.length;
      const dst = target(needed, out);
      if (input.length > 0) started = true;
      const written = run(input, dst);
      return dst.length === written ? dst : dst.subarray(0, written);
    },
    flush(out?: Int16Array): Int16Array {
      const dst = target(RESAMPLE_FACTOR * FLUSH_INPUT, out);
      if (!started) return dst.subarray(0, 0);
      run(FLUSH_ZEROS, dst);
      reset();
      // The tail is the filter delay: outputs past it would only carry the zero padding.
      return dst.subarray(0, RESAMPLER_FILTER_DELAY_SAMPLES);
    },
    reset,
    maxOutputLength,
  };
}
