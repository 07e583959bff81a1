/**
 * One flush tick for every live call's record: each second the buffered entries and running totals of all calls
 * go to the store in transactions of up to `MAX_CALLS_PER_TRANSACTION` calls, instead of one timer and two
 * autocommit statements per call. On SQLite a commit is most of a small write's cost (WAL append and lock), so this
 * halves the CPU of record keeping per call (`scripts/bench/record-flush.ts`); each transaction is short and
 * synchronous there, and the event loop runs between two of them, so a tick of many calls never holds the media
 * path for long. What a crash keeps is unchanged: everything buffered up to the last tick (at most a second lost).
 *
 * A batch that fails is written again call by call, through each call's recorder: one call's bad write does not
 * cost the others their entries, and failures are logged per call as before (rate-limited by the recorder).
 */
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock, TimerHandle } from '../telephony/clock.js';
import type { CallRecordStore, EntriesWrite } from './call-record-store.js';

/** How often buffered entries are written. */
export const RECORD_FLUSH_INTERVAL_MS = 1_000;

/** Calls per transaction: ~1 ms of synchronous work at 20 calls (record-flush.ts), most of the commit saving already. */
export const MAX_CALLS_PER_TRANSACTION = 20;

/** What the flusher needs from a call's recorder. */
export interface FlushedRecorder {
  /** Takes what is buffered (entries, totals); undefined when there is nothing to write. */
  takeBuffered(): EntriesWrite | undefined;
  /**
   * Chains the batch holding `write` after this recorder's earlier writes; when the batch failed (false), writes
   * `write` alone. Resolves when done (a failure logged, never thrown).
   */
  chainBatchWrite(batch: Promise<boolean>, write: EntriesWrite): Promise<void>;
}

/** Options of {@link RecordFlusher}. */
export interface RecordFlusherOptions {
  readonly store: CallRecordStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number | undefined;
}

/** The shared flush tick of the live calls' recorders; see the file comment. */
export class RecordFlusher {
  readonly #options: RecordFlusherOptions;
  readonly #recorders = new Set<FlushedRecorder>();
  #timer: TimerHandle | undefined;
  /** Batches are written one after another. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(options: RecordFlusherOptions) {
    this.#options = options;
  }

  /** Starts flushing `recorder` on the tick (the tick runs while any recorder is registered). */
  add(recorder: FlushedRecorder): void {
    this.#recorders.add(recorder);
    if (this.#timer === undefined) this.#arm();
  }

  /** Stops flushing `recorder` (its own `finish` writes the rest). */
  remove(recorder: FlushedRecorder): void {
    this.#recorders.delete(recorder);
    if (this.#recorders.size === 0 && this.#timer !== undefined) {
      this.#options.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Takes every registered recorder's buffer now and writes them; resolves when written (or failed and logged). */
  flushAll(): Promise<void> {
    const taken: Array<[FlushedRecorder, EntriesWrite]> = [];
    for (const recorder of this.#recorders) {
      const write = recorder.takeBuffered();
      if (write !== undefined) taken.push([recorder, write]);
    }
    const written: Array<Promise<void>> = [];
    for (let from = 0; from < taken.length; from += MAX_CALLS_PER_TRANSACTION) {
      const chunk = taken.slice(from, from + MAX_CALLS_PER_TRANSACTION);
      const batch = this.#writes.then(async () => {
        // Let the event loop run between two transactions.
        if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        return this.#writeBatch(chunk.map(([, write]) => write));
      });
      this.#writes = batch;
      for (const [recorder, write] of chunk) written.push(recorder.chainBatchWrite(batch, write));
    }
    return Promise.all(written).then(() => undefined);
  }

  async #writeBatch(writes: readonly EntriesWrite[]): Promise<boolean> {
    try {
      await this.#options.store.writeEntriesBatch(writes);
      return true;
    } catch (error) {
      this.#options.logger.debug({ err: toError(error), calls: writes.length }, 'call record batch failed; writing its calls one by one');
      return false;
    }
  }

  #arm(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#recorders.size === 0) return;
      void this.flushAll();
      this.#arm();
    }, this.#options.intervalMs ?? RECORD_FLUSH_INTERVAL_MS);
  }
}
