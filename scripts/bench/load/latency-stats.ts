/** Latency summaries for the load bench: count, p50, p99 and max of a sample of milliseconds. */
import { quantile } from '../measure.js';

/** Summary of one latency sample, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Summarises `samples` (NaN for every statistic when empty). */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
  let max = -Infinity;
  for (const s of samples) if (s > max) max = s;
  return { count: samples.length, p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99), maxMs: max };
}
