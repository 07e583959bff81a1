/**
 * Two per-turn costs of LangGraph inside the intent worker thread that come from the runtime, not from the graph,
 * and how the worker removes them (measured in BENCHMARKS.md, "Issue 19"; `scripts/bench/intent-turn-cpu.ts`):
 *
 * - Random bytes. Every LangGraph runnable call builds a langsmith `RunTree` (even with tracing off: it carries the
 *   config through AsyncLocalStorage) whose id is a UUIDv7, and every checkpoint gets a UUIDv6; each asks
 *   `crypto.getRandomValues` for 16 bytes. Each such call cost a fixed ~11–18 µs on the benchmark VM whatever its
 *   length (one trip into OpenSSL's generator), ~15 calls a turn. Node's own `crypto.randomUUID` avoids this with an
 *   entropy cache; `pooledGetRandomValues` does the same for small requests: it fills a 4 KiB pool with one call of
 *   the real generator and hands out each byte once, so the output is the generator's, never reused. Requests it
 *   does not serve (non-integer arrays, more than 256 bytes) go to the real function, which keeps its checks and
 *   errors.
 * - Environment reads. langchain and langsmith read `process.env` several times per runnable call (tracing
 *   switches, endpoints), ~100 reads a turn at ~0.9 µs each (a call into the C++ environment accessor). A worker's
 *   `process.env` is already its own copy, taken when it started; replacing it with a plain object of the same
 *   strings keeps what every read returns and makes reads ordinary property loads.
 */

/** Requests up to this many bytes are served from the pool. */
const POOLED_MAX_BYTES = 256;
const POOL_BYTES = 4096;

/** The Web Crypto `getRandomValues` signature. */
export type GetRandomValues = (typeof globalThis)['crypto']['getRandomValues'];

/**
 * A `getRandomValues` that serves small integer-array requests from a pool refilled by `source` (see the file
 * comment); `source` must be a cryptographically secure generator (the real `crypto.getRandomValues`).
 */
export function pooledGetRandomValues(source: GetRandomValues): GetRandomValues {
  const pool = new Uint8Array(POOL_BYTES);
  let used = POOL_BYTES;
  return function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (!isPooledRequest(array)) return source(array as never) as T;
    const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    if (used + view.length > POOL_BYTES) {
      source(pool);
      used = 0;
    }
    view.set(pool.subarray(used, used + view.length));
    // Each byte is handed out once.
    pool.fill(0, used, used + view.length);
    used += view.length;
    return array;
  } as GetRandomValues;
}

/** The integer typed arrays `getRandomValues` accepts (BigInt arrays aside), up to `POOLED_MAX_BYTES`. */
function isPooledRequest(array: ArrayBufferView | null): array is ArrayBufferView {
  const integer =
    array instanceof Uint8Array ||
    array instanceof Int8Array ||
    array instanceof Uint16Array ||
    array instanceof Int16Array ||
    array instanceof Uint32Array ||
    array instanceof Int32Array ||
    array instanceof Uint8ClampedArray;
  return integer && array.byteLength <= POOLED_MAX_BYTES;
}

/** Applies both changes of the file comment to the current thread; call it once, first thing in the worker. */
export function tuneWorkerRuntime(): void {
  const webCrypto = globalThis.crypto;
  const original = webCrypto.getRandomValues.bind(webCrypto);
  const pooled = pooledGetRandomValues(original);
  Object.defineProperty(webCrypto, 'getRandomValues', { value: pooled, configurable: true, writable: true });
  process.env = { ...process.env };
}
