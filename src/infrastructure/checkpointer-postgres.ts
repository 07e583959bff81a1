/**
 * Postgres checkpoint store for several instances behind a load balancer: LangGraph's `PostgresSaver` (its
 * `setup()` creates and migrates its tables, mandatory at boot) and our `call_threads` table on the same pool.
 */
import pg from 'pg';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Logger } from '../logger.js';
import { MS_PER_DAY, type CheckpointStore, type NowMs } from './checkpointer.js';

/** Options for {@link openPostgresCheckpointer}. */
export interface PostgresCheckpointerOptions {
  readonly connectionString: string;
  readonly now?: NowMs | undefined;
  /** Pool size; the orchestrator writes one checkpoint per caller turn, so a few connections suffice. */
  readonly maxConnections?: number;
  /** Receives errors of idle pool clients (e.g. a database restart). */
  readonly logger?: Logger | undefined;
}

/** Connects, runs the checkpointer's migrations and creates `call_threads`; throws a readable error when it cannot. */
export async function openPostgresCheckpointer(options: PostgresCheckpointerOptions): Promise<CheckpointStore> {
  const now = options.now ?? Date.now;
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 5 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle postgres client failed'));
  const saver = new PostgresSaver(pool);
  try {
    await saver.setup();
    await pool.query(`CREATE TABLE IF NOT EXISTS call_threads (
      thread_id TEXT PRIMARY KEY,
      first_used_ms BIGINT NOT NULL,
      last_used_ms BIGINT NOT NULL
    )`);
  } catch (error) {
    await pool.end().catch(() => {});
    const where = new URL(options.connectionString);
    throw new Error(`Cannot set up the Postgres checkpointer at ${where.host}${where.pathname}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  return {
    kind: 'postgres',
    saver,
    async touchThread(threadId) {
      const at = now();
      await pool.query(
        `INSERT INTO call_threads (thread_id, first_used_ms, last_used_ms) VALUES ($1, $2, $2)
         ON CONFLICT (thread_id) DO UPDATE SET last_used_ms = EXCLUDED.last_used_ms`,
        [threadId, at],
      );
    },
    async listThreads() {
      const result = await pool.query<{ thread_id: string }>(
        `SELECT thread_id FROM call_threads ORDER BY last_used_ms, thread_id`,
      );
      return result.rows.map((row) => row.thread_id);
    },
    async pruneThreads(retentionDays) {
      const result = await pool.query<{ thread_id: string }>(`SELECT thread_id FROM call_threads WHERE last_used_ms < $1`, [
        now() - retentionDays * MS_PER_DAY,
      ]);
      for (const { thread_id: threadId } of result.rows) {
        await saver.deleteThread(threadId);
        await pool.query(`DELETE FROM call_threads WHERE thread_id = $1`, [threadId]);
      }
      return result.rows.length;
    },
    async close() {
      await saver.end();
    },
  };
}
