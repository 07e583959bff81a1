import { describe, expect, it } from 'vitest';
import type { StreamResampler } from '../../src/audio/resampler.js';
import { createJsUpsampler8kTo24k, createUpsampler8kTo24k, createWasmUpsampler8kTo24k } from '../../src/audio/upsampler.js';
import { createDownsampler24kTo8k, createJsDownsampler24kTo8k, createWasmDownsampler24kTo8k } from '../../src/audio/downsampler.js';
import type { WasmRuntime } from '../../src/audio/wasm/simd-kernel.js';
import { DEFAULT_WASM_RUNTIME } from '../../src/audio/wasm/simd-kernel.js';

type Factory = (runtime?: WasmRuntime | null) => StreamResampler;
type WasmFactory = (runtime?: WasmRuntime | null) => StreamResampler | undefined;

const realRuntime = DEFAULT_WASM_RUNTIME as WasmRuntime;

/** A runtime that rejects every module, as an engine without SIMD support does. */
const noSimdRuntime: WasmRuntime = { validate: () => false, Module: realRuntime.Module, Instance: realRuntime.Instance };

/** Wraps the real runtime and records how many modules and instances were created. */
function countingRuntime(): { runtime: WasmRuntime; counts: { modules: number; instances: number } } {
  const counts = { modules: 0, instances: 0 };
  const runtime = {
    validate: (bytes: Uint8Array) => realRuntime.validate(bytes),
    Module: class {
      constructor(bytes: Uint8Array) {
        counts.modules++;
        return new realRuntime.Module(bytes);
      }
    },
    Instance: class {
      constructor(module: object, imports: Record<string, never>) {
        counts.instances++;
        return new realRuntime.Instance(module, imports);
      }
    },
  } as unknown as WasmRuntime;
  return { runtime, counts };
}

function noise(n: number, amplitude: number, seed: number): Int16Array {
  let a = seed >>> 0;
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1_664_525) + 1_013_904_223) >>> 0;
    x[i] = Math.round((a / 4_294_967_296 - 0.5) * 2 * amplitude);
  }
  return x;
}

const KERNELS: { label: string; create: Factory; createWasm: WasmFactory; createJs: () => StreamResampler; inLength: number; frame: number }[] = [
  { label: '8k -> 24k', create: createUpsampler8kTo24k, createWasm: createWasmUpsampler8kTo24k, createJs: createJsUpsampler8kTo24k, inLength: 8000, frame: 160 },
  { label: '24k -> 8k', create: createDownsampler24kTo8k, createWasm: createWasmDownsampler24kTo8k, createJs: createJsDownsampler24kTo8k, inLength: 24_000, frame: 480 },
];

describe.each(KERNELS)('resampler kernels $label', ({ create, createWasm, createJs, inLength, frame }) => {
  it('uses the SIMD kernel on this runtime, within 1 LSB of the float64 JS kernel', () => {
    const input = noise(inLength, 30_000, 7);
    const wasm = createWasm();
    expect(wasm).toBeDefined();
    const simd = (wasm as StreamResampler).process(input).slice();
    const js = createJs().process(input).slice();
    expect(simd.length).toBe(js.length);
    let differing = 0;
    for (let i = 0; i < js.length; i++) {
      const d = Math.abs((simd[i] as number) - (js[i] as number));
      expect(d).toBeLessThanOrEqual(1);
      if (d !== 0) differing++;
    }
    // f32 rounding only moves outputs that sit within a hair of a half-LSB boundary.
    expect(differing / js.length).toBeLessThan(0.01);
    expect(create().process(input)).toEqual(simd);
  });

  it('falls back to the JS kernel, bit for bit, when the runtime rejects SIMD or has no WebAssembly', () => {
    const input = noise(inLength / 4, 20_000, 3);
    const js = createJs().process(input).slice();
    expect(createWasm(noSimdRuntime)).toBeUndefined();
    expect(createWasm(null)).toBeUndefined();
    expect(create(noSimdRuntime).process(input)).toEqual(js);
    expect(create(null).process(input)).toEqual(js);
  });

  it('compiles the kernel once per runtime however many resamplers are created', () => {
    const { runtime, counts } = countingRuntime();
    const resamplers = Array.from({ length: 50 }, () => create(runtime));
    expect(counts).toEqual({ modules: 1, instances: 1 });
    const input = noise(frame, 10_000, 1);
    for (const r of resamplers) expect(r.process(input).length).toBeGreaterThan(0);
  });

  it('keeps each stream separate when many resamplers share the kernel, frames interleaved', () => {
    const streams = Array.from({ length: 5 }, (_, s) => noise(frame * 12 + 5 * s, 25_000, 100 + s));
    const alone = streams.map((x) => create().process(x).slice());
    const resamplers = streams.map(() => create());
    const outputs: number[][] = streams.map(() => []);
    const out = new Int16Array(resamplers[0]?.maxOutputLength(frame + 10) ?? 0);
    for (let offset = 0; offset < (streams[4]?.length ?? 0); offset += frame + 10) {
      streams.forEach((x, s) => {
        if (offset >= x.length) return;
        outputs[s]?.push(...(resamplers[s] as StreamResampler).process(x.subarray(offset, offset + frame + 10), out));
      });
    }
    streams.forEach((_, s) => expect(Int16Array.from(outputs[s] ?? [])).toEqual(alone[s]));
  });

  it('emits the same flush tail as the JS kernel', () => {
    const input = noise(frame * 3 + 1, 12_000, 9);
    const simd = create();
    const js = createJs();
    simd.process(input);
    js.process(input);
    const tailSimd = simd.flush().slice();
    const tailJs = js.flush().slice();
    expect(tailSimd.length).toBe(tailJs.length);
    for (let i = 0; i < tailJs.length; i++) expect(Math.abs((tailSimd[i] as number) - (tailJs[i] as number))).toBeLessThanOrEqual(1);
  });
});
