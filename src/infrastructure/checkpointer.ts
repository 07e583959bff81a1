/**
 * The orchestrator's persistence: a LangGraph checkpointer plus a small `call_threads` table that remembers when each
 * call's thread was last used, so old threads can be pruned by age (checkpoints themselves carry no queryable date).
 * SQLite file under `DATA_DIR` by default, Postgres when `DATABASE_URL` is set, memory in unit tests.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** Milliseconds in one day, for retention arithmetic. */
export const MS_PER_DAY = 86_400_000;
/** File name of the SQLite checkpoint database inside `DATA_DIR`. */
export const SQLITE_CHECKPOINT_FILE = 'checkpoints.sqlite';

/** A checkpointer with thread bookkeeping and retention. */
export interface CheckpointStore {
  /** Which backend this is, for logs. */
  readonly kind: 'sqlite' | 'postgres' | 'memory';
  /** The LangGraph checkpointer the intent graph is compiled with. */
  readonly saver: BaseCheckpointSaver;
  /** Records that a thread was used now (first use inserts it); the call's orchestrator calls it on its first run. */
  touchThread(threadId: string): Promise<void>;
  /** Thread ids known to the store, oldest use first. */
  listThreads(): Promise<string[]>;
  /** Deletes the checkpoints of threads not used for `retentionDays` days; resolves how many threads were deleted. */
  pruneThreads(retentionDays: number): Promise<number>;
  /** Releases the database (connection pool or file handle). */
  close(): Promise<void>;
}

/** Wall clock in ms, injectable so retention tests need no waiting. */
export type NowMs = () => number;

/**
 * Opens the configured store: Postgres when `databaseUrl` is set (tables created at boot with `setup()`), otherwise a
 * SQLite file under `dataDir` (the directory is created). Throws with a readable message when the database cannot be
 * opened; this runs at boot, never during a call.
 */
export async function createCheckpointer(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
  options: { readonly now?: NowMs; readonly logger?: Logger } = {},
): Promise<CheckpointStore> {
  if (config.databaseUrl) {
    const { openPostgresCheckpointer } = await import('./checkpointer-postgres.js');
    return openPostgresCheckpointer({ connectionString: config.databaseUrl, now: options.now, logger: options.logger });
  }
  const { openSqliteCheckpointer } = await import('./checkpointer-sqlite.js');
  return openSqliteCheckpointer({ dataDir: config.dataDir, now: options.now });
}
