/**
 * Timing helpers for `npm run bench`: CPU time per call from `process.cpuUsage()` (all threads, GC included)
 * over batches of calls, reported as the median and 99th percentile of the per-call cost across batches.
 */

/** One measured operation: CPU microseconds per call. */
export interface CpuTiming {
  /** Median over batches of the CPU microseconds per call. */
  readonly medianUs: number;
  /** 99th percentile over batches of the CPU microseconds per call. */
  readonly p99Us: number;
  /** Calls timed in total (after warm-up). */
  readonly calls: number;
}

/** Options for `measureCpu`. */
export interface MeasureOptions {
  /** Calls per batch; a batch must take well over the ~1 µs resolution of `process.cpuUsage()`. */
  readonly batchCalls?: number;
  /** Timed batches. */
  readonly batches?: number;
  /** Untimed calls first, so the JIT has optimised the code under test. */
  readonly warmupCalls?: number;
}

/** Value at quantile `q` (0..1) of `values`, by the nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Times `fn(i)` for i = 0, 1, 2, ... and returns CPU microseconds per call. */
export function measureCpu(fn: (i: number) => void, options: MeasureOptions = {}): CpuTiming {
  const { batchCalls = 200, batches = 200, warmupCalls = 5000 } = options;
  let i = 0;
  for (; i < warmupCalls; i++) fn(i);
  const perCall: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.cpuUsage();
    for (let k = 0; k < batchCalls; k++, i++) fn(i);
    const used = process.cpuUsage(start);
    perCall.push((used.user + used.system) / batchCalls);
  }
  return { medianUs: quantile(perCall, 0.5), p99Us: quantile(perCall, 0.99), calls: batchCalls * batches };
}
