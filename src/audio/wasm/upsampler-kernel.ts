/**
 * Generates the WebAssembly SIMD kernel of the 8 kHz -> 24 kHz upsampler (same maths as the JS kernel in
 * `../upsampler.ts`, in f32x4 lanes): for input position p, with H = 39 past samples and j < 20,
 *   S = sum_j cs[j] (x[p-j] + x[p-H+j]),  D = sum_j cd[j] (x[p-j] - x[p-H+j]),
 *   outputs (S + D, S - D, x[p - copyLag]), rounded half to even and saturated to int16.
 * Each SIMD lane is one input position, 8 or 16 positions per iteration (f32x4 vectors sharing every coefficient
 * load), so every output goes through exactly the same operations whatever its place in a chunk: streaming stays
 * bit-identical across chunkings.
 *
 * Memory layout (one fixed page, shared by every upsampler of the process; the JS side copies a stream's
 * 39-sample history in and out around each call, so the instance state lives in a small JS array):
 *   coefficients: cs[j] and cd[j] pre-splatted to f32x4, 32 bytes per j;
 *   input: int16 history then the new samples; work: the same as f32; output: int16, three per input sample.
 */
import { CodeBuilder, SIMD_OP, VALTYPE, WASM_PAGE_BYTES, encodeModule } from './wasm-encoder.js';

/** Input positions per output group: two f32x4 vectors, narrowed into one i16x8. */
const GROUP_POSITIONS = 8;
/** Slack after every area so whole-vector reads and writes past the valid end stay inside it. */
const SLACK_SAMPLES = 64;

/** What the generator needs from the filter design. */
export interface UpsamplerKernelSpec {
  /** cs[j]: (early + late) / 2 of the mirrored branch taps, j < half the branch length. */
  sumTaps: Float64Array;
  /** cd[j]: (early - late) / 2. */
  diffTaps: Float64Array;
  /** Input delay of the pass-through phase, in input samples. */
  copyLag: number;
  /** Most new input samples one `run` call converts. */
  blockSamples: number;
  /** Groups of 8 positions per loop iteration (1 or 2): more independent accumulators, fewer coefficient loads. */
  groupsPerStep: 1 | 2;
}

/** Byte addresses of the kernel's areas (all 16-byte aligned). */
export interface UpsamplerKernelLayout {
  /** Past input samples in front of the new ones (branch taps - 1). */
  history: number;
  blockSamples: number;
  /** Int16 input: `history` samples, then up to `blockSamples` new ones. */
  inputByte: number;
  /** Int16 output: 3 samples per new input sample. */
  outputByte: number;
  /** Memory size in pages. */
  pages: number;
}

/** Name of the exported memory. */
export const UPSAMPLER_MEMORY_EXPORT = 'memory';
/** Name of the exported kernel: `run(newSamples: i32)`. */
export const UPSAMPLER_RUN_EXPORT = 'run';

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Computes the memory layout for `spec`. */
export function upsamplerKernelLayout(spec: UpsamplerKernelSpec): UpsamplerKernelLayout & { coefByte: number; workByte: number } {
  const half = spec.sumTaps.length;
  const history = 2 * half - 1;
  const samples = history + spec.blockSamples + SLACK_SAMPLES;
  const coefByte = 0;
  const inputByte = align16(coefByte + half * 32);
  const workByte = align16(inputByte + 2 * samples);
  const outputByte = align16(workByte + 4 * samples);
  const end = outputByte + 2 * 3 * (spec.blockSamples + SLACK_SAMPLES);
  return { history, blockSamples: spec.blockSamples, coefByte, inputByte, workByte, outputByte, pages: Math.ceil(end / WASM_PAGE_BYTES) };
}

/** The coefficient area: cs[j] then cd[j], each repeated in four f32 lanes. */
function coefficientBytes(spec: UpsamplerKernelSpec): Uint8Array {
  const half = spec.sumTaps.length;
  const f = new Float32Array(half * 8);
  for (let j = 0; j < half; j++) {
    f.fill(spec.sumTaps[j] as number, 8 * j, 8 * j + 4);
    f.fill(spec.diffTaps[j] as number, 8 * j + 4, 8 * j + 8);
  }
  return new Uint8Array(f.buffer);
}

/** Emits `run(n)`: converts history + n int16 samples to f32, then writes 3n int16 outputs. */
function buildRun(spec: UpsamplerKernelSpec, layout: ReturnType<typeof upsamplerKernelLayout>): CodeBuilder {
  const half = spec.sumTaps.length;
  const { history } = layout;
  const c = new CodeBuilder(1);
  const n = 0;
  const src = c.local(VALTYPE.i32);
  const dst = c.local(VALTYPE.i32);
  const end = c.local(VALTYPE.i32);
  const k = c.local(VALTYPE.i32);
  const out = c.local(VALTYPE.i32);
  const v = c.local(VALTYPE.v128);
  const cs = c.local(VALTYPE.v128);
  const cd = c.local(VALTYPE.v128);
  const a = c.local(VALTYPE.v128);
  const b = c.local(VALTYPE.v128);
  const older = c.local(VALTYPE.i32);
  const newer = c.local(VALTYPE.i32);
  const coef = c.local(VALTYPE.i32);
  const vectors = 2 * spec.groupsPerStep;
  const s = Array.from({ length: vectors }, () => c.local(VALTYPE.v128));
  const d = Array.from({ length: vectors }, () => c.local(VALTYPE.v128));
  const y0 = c.local(VALTYPE.v128);
  const y1 = c.local(VALTYPE.v128);
  const lo = c.local(VALTYPE.v128);
  const hi = c.local(VALTYPE.v128);
  const copy = c.local(VALTYPE.v128);
  const step = GROUP_POSITIONS * spec.groupsPerStep;

  c.block().get(n).i32Eqz().brIf(0);

  // 1. int16 -> f32 for history + n samples plus one step of slack, 8 samples per iteration.
  c.i32Const(layout.inputByte).set(src).i32Const(layout.workByte).set(dst);
  c.get(n).i32Const(history + 2 * step).i32Add().i32Const(2).i32Mul();
  c.i32Const(layout.inputByte).i32Add().set(end);
  c.loop();
  c.get(src).v128Load(0).set(v);
  c.get(dst).get(v).simd(SIMD_OP.i32x4_extend_low_i16x8_s).simd(SIMD_OP.f32x4_convert_i32x4_s).v128Store(0);
  c.get(dst).get(v).simd(SIMD_OP.i32x4_extend_high_i16x8_s).simd(SIMD_OP.f32x4_convert_i32x4_s).v128Store(16);
  c.get(dst).i32Const(32).i32Add().set(dst);
  c.get(src).i32Const(16).i32Add().tee(src).get(end).i32LtS().brIf(0);
  c.end();

  // 2. `step` input positions per iteration. `dst` walks the f32 work area at the oldest sample the step reads,
  //    `src` the int16 input (for the pass-through phase), `out` the output (3 samples per position).
  c.i32Const(0).set(k).i32Const(layout.workByte).set(dst).i32Const(layout.inputByte).set(src).i32Const(layout.outputByte).set(out);
  c.loop();
  // The taps run in a real loop, one pair per iteration. Fully unrolled, TurboFan hoists every load to the top of
  // the step and spills them to the stack (measured 2x slower); unrolling by 2, 4 or 5 was 15-45% slower too.
  for (let h = 0; h < vectors; h++) c.v128Zero().set(s[h] as number).v128Zero().set(d[h] as number);
  c.get(dst).i32Const(4 * history).i32Add().set(older);
  c.get(dst).set(newer);
  c.i32Const(layout.coefByte).set(coef);
  c.loop();
  c.get(coef).v128Load(0).set(cs);
  c.get(coef).v128Load(16).set(cd);
  for (let h = 0; h < vectors; h++) {
    const lane = 16 * h;
    c.get(older).v128Load(lane).set(a); // x[p - j]
    c.get(newer).v128Load(lane).set(b); // x[p - history + j]
    const sum = s[h] as number;
    const diff = d[h] as number;
    c.get(sum).get(cs).get(a).get(b).simd(SIMD_OP.f32x4_add).simd(SIMD_OP.f32x4_mul).simd(SIMD_OP.f32x4_add).set(sum);
    c.get(diff).get(cd).get(a).get(b).simd(SIMD_OP.f32x4_sub).simd(SIMD_OP.f32x4_mul).simd(SIMD_OP.f32x4_add).set(diff);
  }
  c.get(older).i32Const(4).i32Sub().set(older);
  c.get(newer).i32Const(4).i32Add().set(newer);
  c.get(coef).i32Const(32).i32Add().tee(coef).i32Const(layout.coefByte + 32 * half).i32LtS().brIf(0);
  c.end();
  // Round half to even, saturate to int32, then narrow with int16 saturation: clamping comes for free.
  const toInt = (sumLocal: number, diffLocal: number, opcode: number): void => {
    c.get(sumLocal).get(diffLocal).simd(opcode).simd(SIMD_OP.f32x4_nearest).simd(SIMD_OP.i32x4_trunc_sat_f32x4_s);
  };
  for (let g = 0; g < spec.groupsPerStep; g++) {
    const v0 = s[2 * g] as number;
    const v1 = s[2 * g + 1] as number;
    const w0 = d[2 * g] as number;
    const w1 = d[2 * g + 1] as number;
    toInt(v0, w0, SIMD_OP.f32x4_add);
    toInt(v1, w1, SIMD_OP.f32x4_add);
    c.simd(SIMD_OP.i16x8_narrow_i32x4_s).set(y0);
    toInt(v0, w0, SIMD_OP.f32x4_sub);
    toInt(v1, w1, SIMD_OP.f32x4_sub);
    c.simd(SIMD_OP.i16x8_narrow_i32x4_s).set(y1);
    c.get(src).v128Load(2 * (history - spec.copyLag) + 16 * g).set(copy);
    // Interleave (y0, y1, copy) per position: 24 int16 lanes from three vectors, two operands per shuffle.
    c.get(y0).get(y1).shuffle16([0, 8, 1, 9, 2, 10, 3, 11]).set(lo); // y0_0 y1_0 ... y0_3 y1_3
    c.get(y0).get(y1).shuffle16([4, 12, 5, 13, 6, 14, 7, 15]).set(hi); // y0_4 y1_4 ... y0_7 y1_7
    const o = 48 * g;
    c.get(out).get(lo).get(copy).shuffle16([0, 1, 8, 2, 3, 9, 4, 5]).v128Store(o);
    c.get(out).get(lo).get(hi).shuffle16([6, 7, 8, 9, 10, 11, 12, 13]).get(copy).shuffle16([10, 0, 1, 11, 2, 3, 12, 4]).v128Store(o + 16);
    c.get(out).get(hi).get(copy).shuffle16([3, 13, 4, 5, 14, 6, 7, 15]).v128Store(o + 32);
  }
  c.get(dst).i32Const(4 * step).i32Add().set(dst);
  c.get(src).i32Const(2 * step).i32Add().set(src);
  c.get(out).i32Const(6 * step).i32Add().set(out);
  c.get(k).i32Const(step).i32Add().tee(k).get(n).i32LtS().brIf(0);
  c.end();
  c.end(); // block
  return c;
}

/** Generates the kernel module for `spec`; the bytes are deterministic for a given design. */
export function buildUpsamplerWasm(spec: UpsamplerKernelSpec): { bytes: Uint8Array; layout: UpsamplerKernelLayout } {
  const layout = upsamplerKernelLayout(spec);
  const bytes = encodeModule({
    functions: [{ name: UPSAMPLER_RUN_EXPORT, params: [VALTYPE.i32], results: [], body: buildRun(spec, layout) }],
    memoryPages: layout.pages,
    memoryName: UPSAMPLER_MEMORY_EXPORT,
    data: [{ offset: layout.coefByte, bytes: coefficientBytes(spec) }],
  });
  return { bytes, layout };
}
