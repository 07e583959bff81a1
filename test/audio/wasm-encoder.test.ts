import { describe, expect, it } from 'vitest';
import { CodeBuilder, SIMD_OP, VALTYPE, encodeModule, sleb128, uleb128 } from '../../src/audio/wasm/wasm-encoder.js';
import { buildUpsamplerWasm } from '../../src/audio/wasm/upsampler-kernel.js';
import { buildDownsamplerWasm } from '../../src/audio/wasm/downsampler-kernel.js';
import { DEFAULT_WASM_RUNTIME, instantiateSimdKernel, kernelFunction } from '../../src/audio/wasm/simd-kernel.js';
import type { WasmRuntime } from '../../src/audio/wasm/simd-kernel.js';

const runtime = DEFAULT_WASM_RUNTIME as WasmRuntime;

describe('LEB128', () => {
  it('encodes unsigned values as in the WebAssembly spec examples', () => {
    expect(uleb128(0)).toEqual([0x00]);
    expect(uleb128(127)).toEqual([0x7f]);
    expect(uleb128(128)).toEqual([0x80, 0x01]);
    expect(uleb128(624_485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb128(0xffff_ffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => uleb128(-1)).toThrow(RangeError);
  });

  it('encodes signed values with the sign in bit 6 of the last byte', () => {
    expect(sleb128(0)).toEqual([0x00]);
    expect(sleb128(63)).toEqual([0x3f]);
    expect(sleb128(64)).toEqual([0xc0, 0x00]);
    expect(sleb128(-1)).toEqual([0x7f]);
    expect(sleb128(-64)).toEqual([0x40]);
    expect(sleb128(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb128(-123_456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => sleb128(2 ** 31)).toThrow(RangeError);
  });
});

describe('module encoder', () => {
  /** A module whose `run(a)` reads two i16x8 vectors at a and a+16, shuffles them, and stores the result at a+32. */
  function shuffleModule(lanes: number[]): Uint8Array {
    const body = new CodeBuilder(1);
    body.get(0).get(0).v128Load(0).get(0).v128Load(16).shuffle16(lanes).v128Store(32);
    return encodeModule({
      functions: [{ name: 'run', params: [VALTYPE.i32], results: [], body }],
      memoryPages: 1,
      memoryName: 'memory',
      data: [{ offset: 0, bytes: new Uint8Array(new Int16Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]).buffer) }],
    });
  }

  it('emits a module the engine validates, with its data segment and exports in place', () => {
    const kernel = instantiateSimdKernel(shuffleModule([15, 0, 8, 7, 1, 9, 14, 3]), 'memory', runtime);
    expect(kernel).toBeDefined();
    const k = kernel as NonNullable<typeof kernel>;
    kernelFunction<(a: number) => void>(k, 'run')(0);
    expect(Array.from(new Int16Array(k.buffer, 32, 8))).toEqual([15, 0, 8, 7, 1, 9, 14, 3]);
  });

  it('declares a memory that cannot grow, so views on it never detach', () => {
    const bytes = shuffleModule([0, 1, 2, 3, 4, 5, 6, 7]);
    const instance = new runtime.Instance(new runtime.Module(bytes), {});
    const memory = instance.exports['memory'] as { grow(pages: number): number };
    expect(() => memory.grow(1)).toThrow();
  });

  it('rejects shuffle lanes outside 0..15', () => {
    expect(() => new CodeBuilder(0).shuffle16([0, 1, 2, 3, 4, 5, 6, 16])).toThrow(RangeError);
    expect(() => new CodeBuilder(0).shuffle16([0, 1])).toThrow(RangeError);
  });

  it('encodes SIMD sub-opcodes above 127 as two LEB128 bytes', () => {
    const body = new CodeBuilder(0).simd(SIMD_OP.f32x4_add).simd(SIMD_OP.f32x4_nearest).encode();
    // size, no local groups, 0xfd e4 01, 0xfd 6a, end
    expect(body).toEqual([7, 0, 0xfd, 0xe4, 0x01, 0xfd, 0x6a, 0x0b]);
  });
});

describe('resampler kernel generators', () => {
  const taps = (n: number, scale: number): Float64Array => Float64Array.from({ length: n }, (_, i) => scale / (i + 1));

  it('generate the same bytes for the same design and fit their areas in the declared pages', () => {
    const up = () => buildUpsamplerWasm({ sumTaps: taps(20, 0.1), diffTaps: taps(20, 0.05), copyLag: 19, blockSamples: 2048, groupsPerStep: 2 });
    const down = () =>
      buildDownsamplerWasm({ nearTaps: taps(20, 0.1), farTaps: taps(20, -0.05), centreTap: 1 / 3, blockTriplets: 1024, groupsPerStep: 1 });
    expect(up().bytes).toEqual(up().bytes);
    expect(down().bytes).toEqual(down().bytes);
    expect(up().layout.pages).toBe(1);
    expect(down().layout.pages).toBe(1);
    expect(up().layout.history).toBe(39);
    expect(down().layout.historyTriplets).toBe(39);
    expect(runtime.validate(up().bytes) && runtime.validate(down().bytes)).toBe(true);
  });

  it('upsampler kernel: a single impulse comes out as the branch taps, and the copy phase as the sample', () => {
    // With cs = cd = t/2: out0[p] = S + D = sum_j t[j] x[p-j], out1[p] = S - D = sum_j t[j] x[p-39+j].
    const t = taps(20, 1000);
    const half = Float64Array.from(t, (v) => v / 2);
    const { bytes, layout } = buildUpsamplerWasm({ sumTaps: half, diffTaps: half, copyLag: 19, blockSamples: 64, groupsPerStep: 1 });
    const k = instantiateSimdKernel(bytes, 'memory', runtime) as NonNullable<ReturnType<typeof instantiateSimdKernel>>;
    const heap = new Int16Array(k.buffer);
    const input = layout.inputByte / 2;
    heap.fill(0, input, input + layout.history + 64);
    heap[input + layout.history] = 10; // x[0] = 10 after 39 zeros of history
    kernelFunction<(n: number) => void>(k, 'run')(40);
    const out = heap.subarray(layout.outputByte / 2, layout.outputByte / 2 + 120);
    for (let p = 0; p < 40; p++) {
      expect(out[3 * p]).toBe(p < 20 ? Math.round(10 * (t[p] as number)) : 0);
      expect(out[3 * p + 1]).toBe(p >= 20 ? Math.round(10 * (t[39 - p] as number)) : 0);
      expect(out[3 * p + 2]).toBe(p === 19 ? 10 : 0);
    }
  });
});
