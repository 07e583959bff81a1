/**
 * Generates the WebAssembly SIMD kernel of the 24 kHz -> 8 kHz downsampler (same maths as the JS kernel in
 * `../downsampler.ts`, in f32x4 lanes). With the input de-interleaved by phase (P0[k] = x[3k], P1, P2) and
 * G = number of tap-pair groups, the output centred on P0[k] is
 *   y = (c P0[k] + sum_q ha[q] (P2[k-1-q] + P1[k+q])) + sum_q hb[q] (P1[k-1-q] + P2[k+q]),  q < G.
 * Each SIMD lane is one output, eight or sixteen outputs per iteration sharing every coefficient load, so every
 * output goes through exactly the same operations whatever its place in a chunk: streaming stays bit-identical.
 *
 * Memory layout (one fixed page, shared by every downsampler of the process; the JS side copies a stream's
 * history in and out around each call, so the instance state lives in a small JS array):
 *   coefficients: ha[q], hb[q] pre-splatted to f32x4 (32 bytes per q), then c;
 *   input: int16 stream, `history` whole triplets then the new samples; P0, P1, P2: f32; output: int16.
 */
import { CodeBuilder, SIMD_OP, VALTYPE, WASM_PAGE_BYTES, encodeModule } from './wasm-encoder.js';

/** Outputs per output group: two f32x4 vectors, narrowed into one i16x8. */
const GROUP_OUTPUTS = 8;
/** Triplets the de-interleave step converts per iteration (three i16x8 loads). */
const DEINTERLEAVE_TRIPLETS = 8;
/** Slack after every area, in triplets, so whole-vector reads and writes past the valid end stay inside it. */
const SLACK_TRIPLETS = 64;

/** What the generator needs from the filter design. */
export interface DownsamplerKernelSpec {
  /** ha[q] = h[c + 3q + 1], the taps at offsets 3q+1 from the centre c. */
  nearTaps: Float64Array;
  /** hb[q] = h[c + 3q + 2]. */
  farTaps: Float64Array;
  /** h[c], exactly 1/3 for the third-band design. */
  centreTap: number;
  /** Most whole triplets of new input one `run` call converts. */
  blockTriplets: number;
  /** Groups of 8 outputs per loop iteration (1 or 2): more independent accumulators, fewer coefficient loads. */
  groupsPerStep: 1 | 2;
}

/** Byte addresses of the kernel's areas (all 16-byte aligned) and the sizes the JS side needs. */
export interface DownsamplerKernelLayout {
  /** Whole past triplets in front of the new input; `run(t)` emits t - historyTriplets outputs. */
  historyTriplets: number;
  blockTriplets: number;
  /** Int16 input stream. */
  inputByte: number;
  /** Int16 output, one sample per triplet after the history. */
  outputByte: number;
  /** Memory size in pages. */
  pages: number;
}

/** Name of the exported memory. */
export const DOWNSAMPLER_MEMORY_EXPORT = 'memory';
/** Name of the exported kernel: `run(triplets: i32)`, triplets counting the history ones. */
export const DOWNSAMPLER_RUN_EXPORT = 'run';

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

type FullLayout = DownsamplerKernelLayout & { coefByte: number; centreByte: number; phaseByte: [number, number, number] };

/** Computes the memory layout for `spec`. */
export function downsamplerKernelLayout(spec: DownsamplerKernelSpec): FullLayout {
  const groups = spec.nearTaps.length;
  // The newest triplet an output reads is P[k + groups - 1] and the oldest P[k - groups]: 2 * groups - 1 of history.
  const historyTriplets = 2 * groups - 1;
  const triplets = historyTriplets + spec.blockTriplets + SLACK_TRIPLETS;
  const coefByte = 0;
  const centreByte = coefByte + 32 * groups;
  const inputByte = align16(centreByte + 16);
  const p0 = align16(inputByte + 6 * triplets);
  const p1 = align16(p0 + 4 * triplets);
  const p2 = align16(p1 + 4 * triplets);
  const outputByte = align16(p2 + 4 * triplets);
  const end = outputByte + 2 * (spec.blockTriplets + SLACK_TRIPLETS);
  return {
    historyTriplets,
    blockTriplets: spec.blockTriplets,
    coefByte,
    centreByte,
    inputByte,
    phaseByte: [p0, p1, p2],
    outputByte,
    pages: Math.ceil(end / WASM_PAGE_BYTES),
  };
}

/** The coefficient area: ha[q] then hb[q], each in four f32 lanes, then the centre tap in four lanes. */
function coefficientBytes(spec: DownsamplerKernelSpec): Uint8Array {
  const groups = spec.nearTaps.length;
  const f = new Float32Array(groups * 8 + 4);
  for (let q = 0; q < groups; q++) {
    f.fill(spec.nearTaps[q] as number, 8 * q, 8 * q + 4);
    f.fill(spec.farTaps[q] as number, 8 * q + 4, 8 * q + 8);
  }
  f.fill(spec.centreTap, 8 * groups);
  return new Uint8Array(f.buffer);
}

/** 16-bit lane picks that gather phase 0, 1 and 2 of 8 triplets: first from (a, b), then the rest from c. */
const GATHER: readonly [readonly number[], readonly number[]][] = [
  [[0, 3, 6, 9, 12, 15, 0, 0], [0, 1, 2, 3, 4, 5, 10, 13]],
  [[1, 4, 7, 10, 13, 0, 0, 0], [0, 1, 2, 3, 4, 8, 11, 14]],
  [[2, 5, 8, 11, 14, 0, 0, 0], [0, 1, 2, 3, 4, 9, 12, 15]],
];

/** Emits `run(t)`: de-interleaves t triplets (plus slack) to f32, then writes t - history int16 outputs. */
function buildRun(spec: DownsamplerKernelSpec, layout: FullLayout): CodeBuilder {
  const groups = spec.nearTaps.length;
  const c = new CodeBuilder(1);
  const t = 0;
  const src = c.local(VALTYPE.i32);
  const p = c.local(VALTYPE.i32);
  const end = c.local(VALTYPE.i32);
  const m = c.local(VALTYPE.i32);
  const count = c.local(VALTYPE.i32);
  const a = c.local(VALTYPE.v128);
  const b = c.local(VALTYPE.v128);
  const cc = c.local(VALTYPE.v128);
  const phase = c.local(VALTYPE.v128);
  const ha = c.local(VALTYPE.v128);
  const hb = c.local(VALTYPE.v128);
  const older = c.local(VALTYPE.i32);
  const newer = c.local(VALTYPE.i32);
  const coef = c.local(VALTYPE.i32);
  const vectors = 2 * spec.groupsPerStep;
  const accNear = Array.from({ length: vectors }, () => c.local(VALTYPE.v128));
  const accFar = Array.from({ length: vectors }, () => c.local(VALTYPE.v128));
  const step = GROUP_OUTPUTS * spec.groupsPerStep;
  const [p0, p1, p2] = layout.phaseByte;

  // count = outputs to emit; nothing to do (not even the conversion) when there are none.
  c.block().get(t).i32Const(layout.historyTriplets).i32Sub().tee(count).i32Const(1).i32LtS().brIf(0);

  // 1. De-interleave and convert t triplets plus one step of slack, 8 triplets (48 bytes) per iteration.
  c.i32Const(layout.inputByte).set(src).i32Const(0).set(p);
  c.get(t).i32Const(2 * step).i32Add().i32Const(6).i32Mul().i32Const(layout.inputByte).i32Add().set(end);
  c.loop();
  c.get(src).v128Load(0).set(a).get(src).v128Load(16).set(b).get(src).v128Load(32).set(cc);
  GATHER.forEach(([first, second], ph) => {
    const base = [p0, p1, p2][ph] as number;
    c.get(a).get(b).shuffle16(first).get(cc).shuffle16(second).set(phase);
    c.get(p).get(phase).simd(SIMD_OP.i32x4_extend_low_i16x8_s).simd(SIMD_OP.f32x4_convert_i32x4_s).v128Store(base);
    c.get(p).get(phase).simd(SIMD_OP.i32x4_extend_high_i16x8_s).simd(SIMD_OP.f32x4_convert_i32x4_s).v128Store(base + 16);
  });
  c.get(p).i32Const(4 * DEINTERLEAVE_TRIPLETS).i32Add().set(p);
  c.get(src).i32Const(6 * DEINTERLEAVE_TRIPLETS).i32Add().tee(src).get(end).i32LtS().brIf(0);
  c.end();

  // 2. `step` outputs per iteration; output m is centred on P0[m + groups]. `p` is 4m, `src` walks the output.
  c.i32Const(0).set(m).i32Const(0).set(p).i32Const(layout.outputByte).set(src);
  c.loop();
  for (let h = 0; h < vectors; h++) {
    c.i32Const(0).v128Load(layout.centreByte).get(p).v128Load(p0 + 4 * groups + 16 * h).simd(SIMD_OP.f32x4_mul).set(accNear[h] as number);
  }
  // The taps run in a real loop, one pair per iteration. Fully unrolled, TurboFan hoists every load to the top of
  // the step and spills them to the stack (measured 2x slower); unrolling by 2, 4 or 5 was 15-45% slower too.
  for (let h = 0; h < vectors; h++) c.v128Zero().set(accFar[h] as number);
  c.get(p).i32Const(4 * (groups - 1)).i32Add().set(older); // P[k - 1 - q]
  c.get(p).i32Const(4 * groups).i32Add().set(newer); // P[k + q]
  c.i32Const(layout.coefByte).set(coef);
  c.loop();
  c.get(coef).v128Load(0).set(ha);
  c.get(coef).v128Load(16).set(hb);
  for (let h = 0; h < vectors; h++) {
    const lane = 16 * h;
    const near = accNear[h] as number;
    const far = accFar[h] as number;
    c.get(near).get(ha).get(older).v128Load(p2 + lane).get(newer).v128Load(p1 + lane).simd(SIMD_OP.f32x4_add);
    c.simd(SIMD_OP.f32x4_mul).simd(SIMD_OP.f32x4_add).set(near);
    c.get(far).get(hb).get(older).v128Load(p1 + lane).get(newer).v128Load(p2 + lane).simd(SIMD_OP.f32x4_add);
    c.simd(SIMD_OP.f32x4_mul).simd(SIMD_OP.f32x4_add).set(far);
  }
  c.get(older).i32Const(4).i32Sub().set(older);
  c.get(newer).i32Const(4).i32Add().set(newer);
  c.get(coef).i32Const(32).i32Add().tee(coef).i32Const(layout.coefByte + 32 * groups).i32LtS().brIf(0);
  c.end();
  // Round half to even, saturate to int32, then narrow with int16 saturation: clamping comes for free.
  for (let g = 0; g < spec.groupsPerStep; g++) {
    c.get(src);
    for (const h of [2 * g, 2 * g + 1]) {
      c.get(accNear[h] as number).get(accFar[h] as number).simd(SIMD_OP.f32x4_add);
      c.simd(SIMD_OP.f32x4_nearest).simd(SIMD_OP.i32x4_trunc_sat_f32x4_s);
    }
    c.simd(SIMD_OP.i16x8_narrow_i32x4_s).v128Store(16 * g);
  }
  c.get(p).i32Const(4 * step).i32Add().set(p);
  c.get(src).i32Const(2 * step).i32Add().set(src);
  c.get(m).i32Const(step).i32Add().tee(m).get(count).i32LtS().brIf(0);
  c.end();
  c.end(); // block
  return c;
}

/** Generates the kernel module for `spec`; the bytes are deterministic for a given design. */
export function buildDownsamplerWasm(spec: DownsamplerKernelSpec): { bytes: Uint8Array; layout: DownsamplerKernelLayout } {
  const layout = downsamplerKernelLayout(spec);
  const bytes = encodeModule({
    functions: [{ name: DOWNSAMPLER_RUN_EXPORT, params: [VALTYPE.i32], results: [], body: buildRun(spec, layout) }],
    memoryPages: layout.pages,
    memoryName: DOWNSAMPLER_MEMORY_EXPORT,
    data: [{ offset: layout.coefByte, bytes: coefficientBytes(spec) }],
  });
  return { bytes, layout };
}
