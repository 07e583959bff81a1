/**
 * Streaming 24 kHz -> 8 kHz PCM16 downsampler: the third-band prototype in `fir-design.ts` evaluated only at
 * every third input sample (polyphase decimation).
 *
 * The input is kept de-interleaved by phase (P0[k] = x[3k], P1[k] = x[3k+1], P2[k] = x[3k+2]) so the inner loop
 * walks unit strides (measured 1.4x faster per frame than strided reads of one buffer). Output j is emitted when x[3j+2]
 * completes triplet j and is centred on x[3j-57] = P0[j-19]: its delay is a whole number of 8 kHz samples (19),
 * and a 480-sample frame gives exactly 160 samples with no hold-back. The filter is symmetric and every third tap
 * from the centre is zero, so an output costs one centre multiply plus 40 multiplies of mirrored pairs:
 *   y = P0[k]/3 + sum_q ha[q] (P2[k-1-q] + P1[k+q]) + hb[q] (P1[k-1-q] + P2[k+q]),  k = j - 19,
 * with ha[q] = h[c+3q+1] and hb[q] = h[c+3q+2] (c the centre tap).
 *
 * Two kernels compute this. The default is a WebAssembly SIMD kernel (`wasm/downsampler-kernel.ts`, f32x4, 8
 * outputs per loop iteration, de-interleaving with shuffles), compiled once per process and shared by every
 * instance; each instance keeps only the raw tail of its input (117 samples plus an open triplet, 238 bytes) and
 * copies it into the kernel's memory around each block. Where the runtime rejects wasm SIMD, the float64
 * JavaScript kernel below runs instead (same design, same delay). f32 arithmetic changes about 0.07% of the output
 * samples by 1 LSB against the float64 kernel; oracle figures (`fir-design.ts`): SNR 83.5 dB, alias 97.4 dB (worst
 * 96.2 dB against 96.3 dB for float64), sweep alias 103.7 dB, ripple 0.000 dB.
 *
 * Cost per 20 ms frame (480 -> 160), same `bench.mjs` round on the shared 2-core VM: SIMD 1.28 µs (15,700x
 * realtime), JS kernel 5.42 µs; `npm run bench -- --section media-path`: 1.2-1.4 µs median against 9-12 µs for
 * the JS kernel in the same load.
 */
import { REALTIME_SAMPLE_RATE_HZ, RESAMPLE_FACTOR, TWILIO_SAMPLE_RATE_HZ } from './constants.js';
import { RESAMPLER_FILTER_DELAY_SAMPLES, designNyquistLowpass } from './fir-design.js';
import type { StreamResampler } from './stream-resampler.js';
import { DEFAULT_WASM_RUNTIME, loadInt16Kernel } from './wasm/simd-kernel.js';
import type { Int16Kernel, WasmRuntime } from './wasm/simd-kernel.js';
import { DOWNSAMPLER_MEMORY_EXPORT, DOWNSAMPLER_RUN_EXPORT, buildDownsamplerWasm } from './wasm/downsampler-kernel.js';

/** Distance from the centre tap to the outermost tap, in 24 kHz samples. */
const CENTRE = RESAMPLER_FILTER_DELAY_SAMPLES;
/** Tap-pair groups (offsets 3q+1 and 3q+2 from the centre). */
const PAIR_GROUPS = (CENTRE + 1) / RESAMPLE_FACTOR;
/** Input phase (index mod 3) on which an output is due: 2 makes the delay 57 input samples = 19 outputs. */
const OUTPUT_PHASE = 2;
/** Triplets between an output's centre and the newest triplet it reads (59 = 3 * 19 + 2). */
const CENTRE_LAG_TRIPLETS = (CENTRE - OUTPUT_PHASE) / RESAMPLE_FACTOR;
/** Past triplets kept in front of the newest one: the oldest read is P[k - PAIR_GROUPS] with k = newest - lag. */
const HISTORY_TRIPLETS = CENTRE_LAG_TRIPLETS + PAIR_GROUPS;
/** Triplets converted per pass over the history buffers; sizes the buffers, not the allowed input. */
const BLOCK_TRIPLETS = 1024;
/** Output groups of 8 per SIMD loop iteration: 1 measured 12% faster than 2 (fewer live registers). */
const WASM_GROUPS_PER_STEP = 1;

if (!Number.isInteger(PAIR_GROUPS) || !Number.isInteger(CENTRE_LAG_TRIPLETS)) {
  throw new Error('downsampler: the prototype centre must sit on the output phase with whole tap-pair groups');
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
 * Emits the outputs centred on P0[k] for k in [from, end) into dst from index o; returns the next free index.
 */
function downsampleBlock(
  p0: Float64Array,
  p1: Float64Array,
  p2: Float64Array,
  from: number,
  end: number,
  centreTap: number,
  ha: Float64Array,
  hb: Float64Array,
  dst: Int16Array,
  o: number,
): number {
  for (let k = from; k < end; k++) {
    let a0 = centreTap * (p0[k] as number);
    let a1 = 0;
    for (let q = 0, l = k - 1, r = k; q < PAIR_GROUPS; q++, l--, r++) {
      a0 += (ha[q] as number) * ((p2[l] as number) + (p1[r] as number));
      a1 += (hb[q] as number) * ((p1[l] as number) + (p2[r] as number));
    }
    const y = Math.round(a0 + a1);
    dst[o++] = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
  }
  return o;
}

/** The stream bookkeeping both kernels share: output targets, flush, reset, the input phase. */
abstract class DownsamplerStream implements StreamResampler {
  readonly inputRateHz = REALTIME_SAMPLE_RATE_HZ;
  readonly outputRateHz = TWILIO_SAMPLE_RATE_HZ;
  readonly latencyMs = ((CENTRE - OUTPUT_PHASE) / REALTIME_SAMPLE_RATE_HZ) * 1000;
  protected phase = 0; // next sample's index within the triplet (stream index mod 3)
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
    this.clearHistory();
    this.phase = 0;
    this.started = false;
  }

  private target(needed: number, out: Int16Array | undefined): Int16Array {
    if (out !== undefined && out.length >= needed) return out;
    if (this.scratch.length < needed) this.scratch = new Int16Array(needed);
    return this.scratch;
  }

  /** Converts `input` into `dst` from index 0, advances `phase`, and returns the number of samples written. */
  protected abstract run(input: Int16Array, dst: Int16Array): number;

  /** Forgets the input history (back to the silence before a stream). */
  protected abstract clearHistory(): void;
}

/** JavaScript kernel: de-interleaved input history as float64. */
class JsDownsampler extends DownsamplerStream {
  private readonly p0 = new Float64Array(HISTORY_TRIPLETS + BLOCK_TRIPLETS);
  private readonly p1 = new Float64Array(HISTORY_TRIPLETS + BLOCK_TRIPLETS);
  private readonly p2 = new Float64Array(HISTORY_TRIPLETS + BLOCK_TRIPLETS);
  private triplet = HISTORY_TRIPLETS; // triplet being filled; the zeros before it stand for the silence before the stream

  protected clearHistory(): void {
    this.p0.fill(0);
    this.p1.fill(0);
    this.p2.fill(0);
    this.triplet = HISTORY_TRIPLETS;
  }

  protected run(input: Int16Array, dst: Int16Array): number {
    const { p0, p1, p2 } = this;
    const capacity = p0.length;
    const n = input.length;
    let t = this.triplet;
    let phase = this.phase;
    let o = 0;
    let i = 0;
    while (i < n) {
      if (phase === 0 && t === capacity) {
        p0.copyWithin(0, capacity - HISTORY_TRIPLETS, capacity);
        p1.copyWithin(0, capacity - HISTORY_TRIPLETS, capacity);
        p2.copyWithin(0, capacity - HISTORY_TRIPLETS, capacity);
        t = HISTORY_TRIPLETS;
      }
      const firstOpen = t;
      // Finish a triplet left open by the previous call, then copy whole triplets, then start the next one.
      while (phase !== 0 && i < n) {
        if (phase === 1) p1[t] = input[i++] as number;
        else {
          p2[t++] = input[i++] as number;
          phase = -1;
        }
        phase++;
      }
      while (i + 2 < n && t < capacity) {
        p0[t] = input[i] as number;
        p1[t] = input[i + 1] as number;
        p2[t++] = input[i + 2] as number;
        i += 3;
      }
      if (phase === 0 && t < capacity && i < n) {
        p0[t] = input[i++] as number;
        phase = 1;
        if (i < n) {
          p1[t] = input[i++] as number;
          phase = 2;
        }
      }
      // Triplets firstOpen .. t-1 are complete: emit the outputs whose newest sample they hold.
      o = downsampleBlock(p0, p1, p2, firstOpen - CENTRE_LAG_TRIPLETS, t - CENTRE_LAG_TRIPLETS, CENTRE_TAP, NEAR_TAPS, FAR_TAPS, dst, o);
    }
    this.triplet = t;
    this.phase = phase;
    return o;
  }
}

/** Int16 samples of history a stream keeps between calls: whole triplets, plus up to two of an open triplet. */
const WASM_HISTORY_SAMPLES = RESAMPLE_FACTOR * HISTORY_TRIPLETS;

/**
 * WebAssembly SIMD kernel: every instance shares one kernel (calls are synchronous, so they never interleave)
 * and keeps only the raw tail of its input stream (117 samples plus an open triplet), copied into the kernel's
 * input area before each block and back after.
 */
class WasmDownsampler extends DownsamplerStream {
  private readonly history = new Int16Array(WASM_HISTORY_SAMPLES + RESAMPLE_FACTOR - 1);

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
      const held = WASM_HISTORY_SAMPLES + this.phase;
      const take = Math.min(n - i, RESAMPLE_FACTOR * BLOCK_TRIPLETS - this.phase);
      heap.set(held === history.length ? history : history.subarray(0, held), inputIndex);
      heap.set(i === 0 && take === n ? input : input.subarray(i, i + take), inputIndex + held);
      const total = held + take;
      const outputs = Math.floor(total / RESAMPLE_FACTOR) - HISTORY_TRIPLETS;
      if (outputs > 0) {
        run(outputs + HISTORY_TRIPLETS);
        dst.set(heap.subarray(outputIndex, outputIndex + outputs), o);
        o += outputs;
      }
      // Keep the last whole triplets the next outputs read, plus the open triplet's samples.
      const keepFrom = inputIndex + RESAMPLE_FACTOR * outputs;
      history.set(heap.subarray(keepFrom, inputIndex + total));
      this.phase = total % RESAMPLE_FACTOR;
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
    () => {
      const generated = buildDownsamplerWasm({
        nearTaps: NEAR_TAPS,
        farTaps: FAR_TAPS,
        centreTap: CENTRE_TAP,
        blockTriplets: BLOCK_TRIPLETS,
        groupsPerStep: WASM_GROUPS_PER_STEP,
      });
      if (generated.layout.historyTriplets !== HISTORY_TRIPLETS) {
        throw new Error('downsampler: the wasm kernel and the JS kernel disagree on the history length');
      }
      return generated;
    },
    { memory: DOWNSAMPLER_MEMORY_EXPORT, run: DOWNSAMPLER_RUN_EXPORT },
  );
}

/** Creates the 24 kHz -> 8 kHz downsampler on the WebAssembly SIMD kernel, or undefined when `runtime` lacks SIMD (or is null: no WebAssembly at all). */
export function createWasmDownsampler24kTo8k(runtime: WasmRuntime | null = DEFAULT_WASM_RUNTIME): StreamResampler | undefined {
  const kernel = loadKernel(runtime);
  return kernel === undefined ? undefined : new WasmDownsampler(kernel);
}

/** Creates the 24 kHz -> 8 kHz downsampler on the pure JavaScript kernel (the fallback, float64 arithmetic). */
export function createJsDownsampler24kTo8k(): StreamResampler {
  return new JsDownsampler();
}

/**
 * Creates a stateful 24 kHz -> 8 kHz PCM16 mono downsampler (see `StreamResampler` for the aliasing rules): the
 * WebAssembly SIMD kernel when the runtime supports it, else the JavaScript kernel.
 */
export function createDownsampler24kTo8k(runtime: WasmRuntime | null = DEFAULT_WASM_RUNTIME): StreamResampler {
  return createWasmDownsampler24kTo8k(runtime) ?? createJsDownsampler24kTo8k();
}
