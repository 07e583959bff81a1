/**
 * Streaming 24 kHz -> 8 kHz PCM16 downsampler: the third-band prototype in `fir-design.ts` evaluated only at
 * every third input sample (polyphase decimation).
 *
 * Output j is taken when input sample 3j+2 arrives and is centred on input 3j+2-59, so its delay is a whole
 * number of 8 kHz samples (19) and a 480-sample frame gives exactly 160 samples with no hold-back. The filter is
 * symmetric and every third tap from the centre is zero, so an output costs one centre multiply plus 40
 * multiplies of mirrored pairs: y = x[c]/3 + sum_q ha[q](x[c-3q-1] + x[c+3q+1]) + hb[q](x[c-3q-2] + x[c+3q+2]).
 */
import { REALTIME_SAMPLE_RATE_HZ, RESAMPLE_FACTOR, TWILIO_SAMPLE_RATE_HZ } from './constants.js';
import { RESAMPLER_FILTER_DELAY_SAMPLES, RESAMPLER_FILTER_TAPS, designNyquistLowpass } from './fir-design.js';
import type { StreamResampler } from './stream-resampler.js';

/** Past input samples an output reads besides the newest one. */
const HISTORY = RESAMPLER_FILTER_TAPS - 1;
/** Distance from the newest input sample back to the centre tap. */
const CENTRE = RESAMPLER_FILTER_DELAY_SAMPLES;
/** Groups of two mirrored tap pairs (offsets 3q+1 and 3q+2 from the centre). */
const PAIR_GROUPS = (CENTRE + 1) / RESAMPLE_FACTOR;
/** Input samples converted per pass over the history buffer; sizes the buffer, not the allowed input. */
const BLOCK = 4096;
/** Input phase (index mod 3) on which an output is due: 2 makes the delay 57 input samples = 19 outputs. */
const OUTPUT_PHASE = 2;

if (!Number.isInteger(PAIR_GROUPS) || CENTRE % RESAMPLE_FACTOR !== OUTPUT_PHASE) {
  throw new Error('downsampler: prototype centre must sit on the output phase with whole tap-pair groups');
}

const { NEAR_TAPS, FAR_TAPS, CENTRE_TAP } = buildTaps();

function buildTaps(): { NEAR_TAPS: Float64Array; FAR_TAPS: Float64Array; CENTRE_TAP: number } {
  const h = designNyquistLowpass();
  const near = new Float64Array(PAIR_GROUPS);
  const far = new Float64Array(PAIR_GROUPS);
  for (let q = 0; q < PAIR_GROUPS; q++) {
    near[q] = h[CENTRE + RESAMPLE_FACTOR * q + 1] as number;
    far[q] = h[CENTRE + RESAMPLE_FACTOR * q + 2] as number;
  }
  return { NEAR_TAPS: near, FAR_TAPS: far, CENTRE_TAP: h[CENTRE] as number };
}

/** Largest number of zero samples a flush feeds (tail to the last input's centre, plus phase alignment). */
const FLUSH_INPUT_MAX = RESAMPLE_FACTOR * Math.ceil((OUTPUT_PHASE + CENTRE - RESAMPLE_FACTOR) / RESAMPLE_FACTOR) + RESAMPLE_FACTOR;
const FLUSH_ZEROS = new Int16Array(FLUSH_INPUT_MAX);

/**
 * The hot loop, at module scope with everything passed in: V8 optimises one shared copy for every instance
 * (closures per instance were measured 2-5x slower once a second call's resampler existed).
 * Emits an output for every history position p in [first, end) stepping by 3; returns the next free dst index.
 */
function downsampleBlock(
  buf: Float64Array,
  first: number,
  end: number,
  centreTap: number,
  ha: Float64Array,
  hb: Float64Array,
  dst: Int16Array,
  o: number,
): number {
  for (let p = first; p < end; p += 3) {
    const c = p - CENTRE;
    let acc = centreTap * (buf[c] as number);
    for (let q = 0, m = 1; q < PAIR_GROUPS; q++, m += 3) {
      acc +=
        (ha[q] as number) * ((buf[c - m] as number) + (buf[c + m] as number)) +
        (hb[q] as number) * ((buf[c - m - 1] as number) + (buf[c + m + 1] as number));
    }
    const y = Math.round(acc);
    dst[o++] = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
  }
  return o;
}

/** 24 kHz -> 8 kHz instance state: the input history (as float64), the input phase and a scratch output. */
class Downsampler24kTo8k implements StreamResampler {
  readonly inputRateHz = REALTIME_SAMPLE_RATE_HZ;
  readonly outputRateHz = TWILIO_SAMPLE_RATE_HZ;
  readonly latencyMs = ((CENTRE - OUTPUT_PHASE) / REALTIME_SAMPLE_RATE_HZ) * 1000;
  private readonly history = new Float64Array(HISTORY + BLOCK);
  private fill = HISTORY; // leading zeros stand for the silence before the stream starts
  private phase = 0; // stream index of the next input sample, mod 3
  private started = false;
  private scratch = new Int16Array(200);

  maxOutputLength(inputLength: number): number {
    return Math.floor((Math.max(0, inputLength) + RESAMPLE_FACTOR - 1) / RESAMPLE_FACTOR) + Math.ceil(FLUSH_INPUT_MAX / RESAMPLE_FACTOR);
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    const dst = this.target(this.maxOutputLength(input.length), out);
    if (input.length > 0) this.started = true;
    const written = this.run(input, dst);
    return dst.length === written ? dst : dst.subarray(0, written);
  }

  flush(out?: Int16Array): Int16Array {
    const dst = this.target(this.maxOutputLength(0), out);
    if (!this.started) return dst.subarray(0, 0);
    // Feed zeros until the output centred on the last real input sample (or just past it) has been emitted.
    const lastOutput = Math.ceil((this.phase + CENTRE - OUTPUT_PHASE - 1) / RESAMPLE_FACTOR);
    const zeros = RESAMPLE_FACTOR * lastOutput + OUTPUT_PHASE + 1 - this.phase;
    const written = this.run(FLUSH_ZEROS.subarray(0, zeros), dst);
    this.reset();
    return dst.subarray(0, written);
  }

  reset(): void {
    this.history.fill(0);
    this.fill = HISTORY;
    this.phase = 0;
    this.started = false;
  }

  private target(needed: number, out: Int16Array | undefined): Int16Array {
    if (out !== undefined && out.length >= needed) return out;
    if (this.scratch.length < needed) this.scratch = new Int16Array(needed);
    return this.scratch;
  }

  /** Converts `input` into `dst` from index 0 and returns the number of samples written. */
  private run(input: Int16Array, dst: Int16Array): number {
    const buf = this.history;
    const capacity = buf.length;
    const n = input.length;
    let fill = this.fill;
    let phase = this.phase;
    let o = 0;
    for (let i = 0; i < n; ) {
      if (fill === capacity) {
        buf.copyWithin(0, capacity - HISTORY, capacity);
        fill = HISTORY;
      }
      const take = Math.min(n - i, capacity - fill);
      for (let k = 0; k < take; k++) buf[fill + k] = input[i + k] as number;
      // First position whose stream index is on the output phase.
      const first = fill + ((OUTPUT_PHASE - phase + RESAMPLE_FACTOR) % RESAMPLE_FACTOR);
      o = downsampleBlock(buf, first, fill + take, CENTRE_TAP, NEAR_TAPS, FAR_TAPS, dst, o);
      phase = (phase + take) % RESAMPLE_FACTOR;
      fill += take;
      i += take;
    }
    this.fill = fill;
    this.phase = phase;
    return o;
  }
}

/** Creates a stateful 24 kHz -> 8 kHz PCM16 mono downsampler (see `StreamResampler` for the aliasing rules). */
export function createDownsampler24kTo8k(): StreamResampler {
  return new Downsampler24kTo8k();
}
