/**
 * Streaming 8 kHz -> 24 kHz PCM16 upsampler: a polyphase form of the third-band prototype in `fir-design.ts`.
 *
 * Output sample 3n+p (at 24 kHz) is 3 * sum_j h[3j+p] * x[n-j]. With the centre tap on phase 2 and every third
 * tap from it zero, phase 2 is a pure delay (x[n-19], copied exactly), and phases 0 and 1 are 40-tap filters that
 * are each other's mirror image. Their sum and difference therefore each need only 20 multiplies:
 *   out0 = S + Df, out1 = S - Df with S = sum cs[j](a+b), Df = sum cd[j](a-b), a = x[n-j], b = x[n-39+j].
 * Three outputs cost 40 multiplies instead of 80 for the two branches as written (and 119 for the plain filter).
 * Every input sample yields three outputs at once, so nothing is held back beyond the filter's 59-sample (2.46 ms)
 * group delay.
 *
 * Two kernels compute this. The default is a WebAssembly SIMD kernel (`wasm/upsampler-kernel.ts`, f32x4, 16 input
 * positions per loop iteration), compiled once per process and shared by every instance; each instance keeps only
 * its last 39 input samples (78 bytes) and copies them into the kernel's memory around each block. Where the
 * runtime rejects wasm SIMD, the float64 JavaScript kernel below runs instead (same design, same delay).
 * f32 arithmetic changes about 0.05% of the output samples by 1 LSB against the float64 kernel and nothing in the
 * oracle figures (`fir-design.ts`: SNR 83.2 dB, image 94.8 dB, ripple 0.000 dB, both kernels).
 *
 * Cost per 20 ms frame (160 -> 480), same `bench.mjs` round on the shared 2-core VM: SIMD 1.03 µs (19,000x
 * realtime), JS kernel 6.42 µs; `npm run bench -- --section media-path`: 0.97-1.00 µs median against 8-11 µs for
 * the JS kernel in the same load. The kernel itself is about 0.95 µs; the history copies and call about 0.1 µs.
 */
import { REALTIME_SAMPLE_RATE_HZ, RESAMPLE_FACTOR, TWILIO_SAMPLE_RATE_HZ } from './constants.js';
import { RESAMPLER_FILTER_DELAY_SAMPLES, RESAMPLER_FILTER_TAPS, designNyquistLowpass } from './fir-design.js';
import type { StreamResampler } from './stream-resampler.js';
import { DEFAULT_WASM_RUNTIME, loadInt16Kernel } from './wasm/simd-kernel.js';
import type { Int16Kernel, WasmRuntime } from './wasm/simd-kernel.js';
import { UPSAMPLER_MEMORY_EXPORT, UPSAMPLER_RUN_EXPORT, buildUpsamplerWasm } from './wasm/upsampler-kernel.js';

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
/** Output groups of 8 input positions per SIMD loop iteration: 2 measured 5% faster than 1. */
const WASM_GROUPS_PER_STEP = 2;
/** Zero input samples that push the whole delayed tail out on flush. */
const FLUSH_INPUT = Math.ceil(RESAMPLER_FILTER_DELAY_SAMPLES / RESAMPLE_FACTOR);

if (!Number.isInteger(PHASE_TAPS) || HALF_TAPS % 2 !== 0 || !Number.isInteger(COPY_LAG)) {
  throw new Error('upsampler: the prototype must give mirrored phases 0/1 of a multiple of 4 taps and put the centre on phase 2');
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

/**
 * The hot loop, at module scope with everything passed in: V8 optimises one shared copy for every instance
 * (closures per instance were measured 2-5x slower once a second call's resampler existed).
 * Converts history positions [from, end) into dst starting at index o; returns the next free index.
 */
function upsampleBlock(buf: Float64Array, from: number, end: number, cs: Float64Array, cd: Float64Array, dst: Int16Array, o: number): number {
  for (let p = from; p < end; p++) {
    // Two accumulator pairs (even and odd j) halve the dependency chains: measured about 13% faster than one pair.
    let s0 = 0;
    let d0 = 0;
    let s1 = 0;
    let d1 = 0;
    for (let j = 0, q = p - HISTORY; j < HALF_TAPS; j += 2, q += 2) {
      const a0 = buf[p - j] as number;
      const b0 = buf[q] as number;
      const a1 = buf[p - j - 1] as number;
      const b1 = buf[q + 1] as number;
      s0 += (cs[j] as number) * (a0 + b0);
      d0 += (cd[j] as number) * (a0 - b0);
      s1 += (cs[j + 1] as number) * (a1 + b1);
      d1 += (cd[j + 1] as number) * (a1 - b1);
    }
    const s = s0 + s1;
    const d = d0 + d1;
    let y0 = Math.round(s + d);
    let y1 = Math.round(s - d);
    y0 = y0 > 32767 ? 32767 : y0 < -32768 ? -32768 : y0;
    y1 = y1 > 32767 ? 32767 : y1 < -32768 ? -32768 : y1;
    dst[o] = y0;
    dst[o + 1] = y1;
    dst[o + 2] = buf[p - COPY_LAG] as number;
    o += 3;
  }
  return o;
}

/** The stream bookkeeping both kernels share: output targets, flush, reset. */
abstract class UpsamplerStream implements StreamResampler {
  readonly inputRateHz = TWILIO_SAMPLE_RATE_HZ;
  readonly outputRateHz = REALTIME_SAMPLE_RATE_HZ;
  readonly latencyMs = (RESAMPLER_FILTER_DELAY_SAMPLES / REALTIME_SAMPLE_RATE_HZ) * 1000;
  private started = false;
  private scratch = new Int16Array(RESAMPLE_FACTOR * (160 + FLUSH_INPUT));

  maxOutputLength(inputLength: number): number {
    return RESAMPLE_FACTOR * (Math.max(0, inputLength) + FLUSH_INPUT);
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    const dst = this.target(RESAMPLE_FACTOR * input.length, out);
    if (input.length > 0) this.started = true;
    const written = this.run(input, dst);
    return dst.length === written ? dst : dst.subarray(0, written);
  }

  flush(out?: Int16Array): Int16Array {
    const dst = this.target(RESAMPLE_FACTOR * FLUSH_INPUT, out);
    if (!this.started) return dst.subarray(0, 0);
    this.run(FLUSH_ZEROS, dst);
    this.reset();
    // The tail is the filter delay: outputs past it would only carry the zero padding.
    return dst.subarray(0, RESAMPLER_FILTER_DELAY_SAMPLES);
  }

  reset(): void {
    this.clearHistory();
    this.started = false;
  }

  private target(needed: number, out: Int16Array | undefined): Int16Array {
    if (out !== undefined && out.length >= needed) return out;
    if (this.scratch.length < needed) this.scratch = new Int16Array(needed);
    return this.scratch;
  }

  /** Converts `input` into `dst` from index 0 and returns the number of samples written (3 per input sample). */
  protected abstract run(input: Int16Array, dst: Int16Array): number;

  /** Forgets the input history (back to the silence before a stream). */
  protected abstract clearHistory(): void;
}

/** JavaScript kernel: the input history as float64, converted a block at a time. */
class JsUpsampler extends UpsamplerStream {
  private readonly history = new Float64Array(HISTORY + BLOCK);
  private fill = HISTORY; // leading zeros stand for the silence before the stream starts

  protected clearHistory(): void {
    this.history.fill(0);
    this.fill = HISTORY;
  }

  protected run(input: Int16Array, dst: Int16Array): number {
    const buf = this.history;
    const capacity = buf.length;
    const n = input.length;
    let fill = this.fill;
    let o = 0;
    for (let i = 0; i < n; ) {
      if (fill === capacity) {
        buf.copyWithin(0, capacity - HISTORY, capacity);
        fill = HISTORY;
      }
      const take = Math.min(n - i, capacity - fill);
      for (let k = 0; k < take; k++) buf[fill + k] = input[i + k] as number;
      o = upsampleBlock(buf, fill, fill + take, SUM_TAPS, DIFF_TAPS, dst, o);
      fill += take;
      i += take;
    }
    this.fill = fill;
    return o;
  }
}

/**
 * WebAssembly SIMD kernel: every instance shares one kernel (calls are synchronous, so they never interleave)
 * and keeps only its last 39 input samples, copied into the kernel's input area before each block and back after.
 */
class WasmUpsampler extends UpsamplerStream {
  private readonly history = new Int16Array(HISTORY);

  constructor(private readonly kernel: Int16Kernel) {
    super();
  }

  protected clearHistory(): void {
    this.history.fill(0);
  }

  protected run(input: Int16Array, dst: Int16Array): number {
    const { heap, run, inputIndex, outputIndex } = this.kernel;
    const history = this.history;
    const n = input.length;
    let o = 0;
    for (let i = 0; i < n; ) {
      const take = Math.min(n - i, BLOCK);
      heap.set(history, inputIndex);
      heap.set(i === 0 && take === n ? input : input.subarray(i, i + take), inputIndex + HISTORY);
      run(take);
      dst.set(heap.subarray(outputIndex, outputIndex + RESAMPLE_FACTOR * take), o);
      history.set(heap.subarray(inputIndex + take, inputIndex + take + HISTORY));
      o += RESAMPLE_FACTOR * take;
      i += take;
    }
    return o;
  }
}

/** Compiled kernels per runtime (null: that runtime has no SIMD). */
const kernels = new WeakMap<WasmRuntime, Int16Kernel | null>();

function loadKernel(runtime: WasmRuntime | null): Int16Kernel | undefined {
  return loadInt16Kernel(
    kernels,
    runtime,
    () => buildUpsamplerWasm({ sumTaps: SUM_TAPS, diffTaps: DIFF_TAPS, copyLag: COPY_LAG, blockSamples: BLOCK, groupsPerStep: WASM_GROUPS_PER_STEP }),
    { memory: UPSAMPLER_MEMORY_EXPORT, run: UPSAMPLER_RUN_EXPORT },
  );
}

/** Creates the 8 kHz -> 24 kHz upsampler on the WebAssembly SIMD kernel, or undefined when `runtime` lacks SIMD (or is null: no WebAssembly at all). */
export function createWasmUpsampler8kTo24k(runtime: WasmRuntime | null = DEFAULT_WASM_RUNTIME): StreamResampler | undefined {
  const kernel = loadKernel(runtime);
  return kernel === undefined ? undefined : new WasmUpsampler(kernel);
}

/** Creates the 8 kHz -> 24 kHz upsampler on the pure JavaScript kernel (the fallback, float64 arithmetic). */
export function createJsUpsampler8kTo24k(): StreamResampler {
  return new JsUpsampler();
}

/**
 * Creates a stateful 8 kHz -> 24 kHz PCM16 mono upsampler (see `StreamResampler` for the aliasing rules): the
 * WebAssembly SIMD kernel when the runtime supports it, else the JavaScript kernel.
 */
export function createUpsampler8kTo24k(runtime: WasmRuntime | null = DEFAULT_WASM_RUNTIME): StreamResampler {
  return createWasmUpsampler8kTo24k(runtime) ?? createJsUpsampler8kTo24k();
}
