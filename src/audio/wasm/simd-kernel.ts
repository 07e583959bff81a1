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
