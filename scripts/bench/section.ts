/** Shape of one section of `npm run bench`, so further sections can be added as modules beside `media-path.ts`. */

/** One row of a bench table: an operation per 20 ms frame. */
export interface BenchRow {
  /** What was timed. */
  readonly name: string;
  /** Median CPU microseconds per 20 ms frame. */
  readonly medianUs: number;
  /** 99th-percentile CPU microseconds per 20 ms frame. */
  readonly p99Us: number;
  /** How many times faster than real time (20 ms / median). */
  readonly xRealtime: number;
  /** Frames timed. */
  readonly frames: number;
}

/** A titled table with notes printed under it. */
export interface BenchSection {
  /** Heading of the table. */
  readonly title: string;
  /** Table rows, in print order. */
  readonly rows: readonly BenchRow[];
  /** Derived figures and caveats, one line each. */
  readonly notes: readonly string[];
}
