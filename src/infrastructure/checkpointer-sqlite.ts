/**
 * SQLite checkpoint store: one file under `DATA_DIR` holding LangGraph's checkpoint tables and our `call_threads`
 * table, so threads survive restarts with no server to run.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { MS_PER_DAY, SQLITE_CHECKPOINT_FILE, type CheckpointStore, type NowMs } from './checkpointer.js';

/** `SqliteSaver.setup()` is protected and lazy, but `deleteThread` does not call it; this exposes it for boot. */
class BootableSqliteSaver extends SqliteSaver {
  boot(): void {
    this.setup();
  }
}

/** Options for {@link openSqliteCheckpointer}. */
export interface SqliteCheckpointerOptions {
  /** Directory of the database file; created when missing. */
  readonly dataDir: string;
  /** Overrides the file name (tests). */
  readonly fileName?: string;
  readonly now?: NowMs | undefined;
}

/** Opens (or creates) the SQLite checkpoint file and its tables. */
export function openSqliteCheckpointer(options: SqliteCheckpointerOptions): CheckpointStore {
  const now = options.now ?? Date.now;
  const file = path.join(options.dataDir, options.fileName ?? SQLITE_CHECKPOINT_FILE);
  let db: Database.Database;
  try {
    mkdirSync(options.dataDir, { recursive: true });
    db = new Database(file);
  } catch (error) {
    throw new Error(`Cannot open the checkpoint database ${file}: ${(error as Error).message}`, { cause: error });
  }
  const saver = new BootableSqliteSaver(db);
  saver.boot();
  db.exec(`CREATE TABLE IF NOT EXISTS call_threads (
    thread_id TEXT PRIMARY KEY,
    first_used_ms INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL
  )`);
  const touch = db.prepare(
    `INSERT INTO call_threads (thread_id, first_used_ms, last_used_ms) VALUES (?, ?, ?)
     ON CONFLICT(thread_id) DO UPDATE SET last_used_ms = excluded.last_used_ms`,
  );
  const list = db.prepare<[], { thread_id: string }>(`SELECT thread_id FROM call_threads ORDER BY last_used_ms, thread_id`);
  const old = db.prepare<[number], { thread_id: string }>(`SELECT thread_id FROM call_threads WHERE last_used_ms < ?`);
  const forget = db.prepare(`DELETE FROM call_threads WHERE thread_id = ?`);

  return {
    kind: 'sqlite',
    saver,
    async touchThread(threadId) {
      const at = now();
      touch.run(threadId, at, at);
    },
    async listThreads() {
      return list.all().map((row) => row.thread_id);
    },
    async pruneThreads(retentionDays) {
      const rows = old.all(now() - retentionDays * MS_PER_DAY);
      for (const { thread_id: threadId } of rows) {
        await saver.deleteThread(threadId);
        forget.run(threadId);
      }
      return rows.length;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
