/**
 * Synchronous loading of a generated WebAssembly SIMD kernel, with a clean "not available" answer so callers can
 * fall back to their JavaScript kernels (older engines, or Node started with SIMD disabled).
 *
 * The project compiles against ES2023 + Node types, which do not declare the WebAssembly JS API, so the few
 * members used here are typed locally.
 */

/** The slice of the WebAssembly JS API a kernel needs; injectable so tests can simulate a runtime without SIMD. */
export interface WasmRuntime {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, never>) => { readonly exports: Readonly<Record<string, unknown>> };
}

/** The runtime's own WebAssembly namespace, or null where there is none. */
export const DEFAULT_WASM_RUNTIME: WasmRuntime | null = (globalThis as { WebAssembly?: WasmRuntime }).WebAssembly ?? null;

/** A kernel ready to run: its exports plus the memory they work in. */
export interface SimdKernel {
  /** The kernel's memory buffer (declared with max = min, so it never grows and views on it never detach). */
  buffer: ArrayBuffer;
  /** The exported values by name. */
  exports: Readonly<Record<string, unknown>>;
}

/**
 * Compiles and instantiates `bytes` synchronously (the resamplers are created on a call's setup path), or returns
 * undefined when there is no runtime (null) or it rejects the module, which is what an engine without SIMD does.
 */
export function instantiateSimdKernel(bytes: Uint8Array, memoryName: string, runtime: WasmRuntime | null): SimdKernel | undefined {
  if (runtime === null || !runtime.validate(bytes)) return undefined;
  try {
    const instance = new runtime.Instance(new runtime.Module(bytes), {});
    const memory = instance.exports[memoryName] as { buffer?: unknown } | undefined;
    if (!(memory?.buffer instanceof ArrayBuffer)) return undefined;
    return { buffer: memory.buffer, exports: instance.exports };
  } catch {
    // A runtime that validates but cannot compile (resource limits) is treated like one without SIMD.
    return undefined;
  }
}

/** The exported function `name` of `kernel`, checked to be a function. */
export function kernelFunction<F extends (...args: number[]) => unknown>(kernel: SimdKernel, name: string): F {
  const f = kernel.exports[name];
  if (typeof f !== 'function') throw new Error(`wasm kernel has no exported function ${name}`);
  return f as F;
}

/** A resampler kernel ready to run: its memory as int16, the entry point and where its input and output areas start. */
export interface Int16Kernel {
  /** View on the kernel's memory (never grows, so the view never detaches). */
  heap: Int16Array;
  /** Converts what the caller put in the input area; the argument counts the new input (samples or triplets). */
  run: (count: number) => void;
  /** Int16 index of the input area in `heap`. */
  inputIndex: number;
  /** Int16 index of the output area in `heap`. */
  outputIndex: number;
}

/** A generated kernel module and the byte offsets of its input and output areas. */
export interface GeneratedKernel {
  bytes: Uint8Array;
  layout: { readonly inputByte: number; readonly outputByte: number };
}

/**
 * Loads a generated kernel once per runtime (compiling once per process keeps instance creation cheap and
 * synchronous); `cache` also remembers a runtime without SIMD (null), so it is asked only once.
 */
export function loadInt16Kernel(
  cache: WeakMap<WasmRuntime, Int16Kernel | null>,
  runtime: WasmRuntime | null,
  generate: () => GeneratedKernel,
  names: { readonly memory: string; readonly run: string },
): Int16Kernel | undefined {
  if (runtime === null) return undefined;
  const cached = cache.get(runtime);
  if (cached !== undefined) return cached ?? undefined;
  const { bytes, layout } = generate();
  const loaded = instantiateSimdKernel(bytes, names.memory, runtime);
  const kernel =
    loaded === undefined
      ? null
      : {
          heap: new Int16Array(loaded.buffer),
          run: kernelFunction<(count: number) => void>(loaded, names.run),
          inputIndex: layout.inputByte / Int16Array.BYTES_PER_ELEMENT,
          outputIndex: layout.outputByte / Int16Array.BYTES_PER_ELEMENT,
        };
  cache.set(runtime, kernel);
  return kernel ?? undefined;
}
