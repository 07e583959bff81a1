/**
 * The small SQL seam the call record store and the webhook outbox are written against, so one implementation runs
 * on SQLite (better-sqlite3, the default file under `DATA_DIR`, or `:memory:` in unit tests) and on Postgres (`pg`,
 * when `DATABASE_URL` is set). Statements use Postgres placeholders (`$1`); on SQLite they become `?` and the values
 * are bound in occurrence order (better-sqlite3 binds anonymous parameters only). Integers come back as JS numbers on both (Postgres `BIGINT` is parsed here).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Logger } from '../logger.js';

/** A bound parameter. */
export type SqlValue = string | number | null;

/** Runs statements. */
export interface SqlExecutor {
  /** Rows of a query. */
  query<Row extends object>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement; resolves the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** One statement and its parameters. */
export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** A database: statements, a transaction on one connection, and close. */
export interface SqlDb extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `statements` in order in one transaction: all or none (rejects with the first error, nothing kept). On
   * SQLite the transaction runs synchronously, so no other statement of this process can land inside it.
   */
  runBatch(statements: readonly SqlStatement[]): Promise<void>;
  close(): Promise<void>;
}

/** A statement rewritten for better-sqlite3: `$n` → `?`, with the parameter index each `?` takes. */
interface SqliteStatement {
  readonly statement: Database.Statement;
  readonly order: readonly number[];
}

/** Placeholders inside string literals are not used by our statements. */
function toSqlite(sql: string): { readonly text: string; readonly order: number[] } {
  const order: number[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  return { text, order };
}

/** Opens a SQLite database file (its directory is created), or an in-memory one for `':memory:'`. */
export function openSqliteDb(file: string): SqlDb {
  let db: Database.Database;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    db = new Database(file);
    // WAL: readers (the calls API, the CLI) never block the call path's writes; another connection of this
    // process (the checkpointer) shares the file. busy_timeout rides out its short write locks.
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    throw new Error(`Cannot open the call record database ${file}: ${(error as Error).message}`, { cause: error });
  }
  const statements = new Map<string, SqliteStatement>();
  const prepare = (sql: string): SqliteStatement => {
    let prepared = statements.get(sql);
    if (!prepared) {
      const { text, order } = toSqlite(sql);
      prepared = { statement: db.prepare(text), order };
      // Multi-row inserts vary in length; keep only the statements that repeat.
      if (statements.size < 256) statements.set(sql, prepared);
    }
    return prepared;
  };
  const bind = (prepared: SqliteStatement, params: readonly SqlValue[]): SqlValue[] => prepared.order.map((i) => params[i] ?? null);
  const executor: SqlExecutor = {
    async query<Row extends object>(sql: string, params: readonly SqlValue[] = []) {
      const prepared = prepare(sql);
      return prepared.statement.all(...bind(prepared, params)) as Row[];
    },
    async run(sql, params = []) {
      const prepared = prepare(sql);
      return prepared.statement.run(...bind(prepared, params)).changes;
    },
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'sqlite',
    ...executor,
    transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      // One connection: transactions are serialized so two never interleave their statements.
      const next = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(executor);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
    runBatch(batch: readonly SqlStatement[]): Promise<void> {
      // Behind any transaction in progress; then BEGIN … COMMIT with no await in between.
      const next = queue.then(() => {
        db.exec('BEGIN IMMEDIATE');
        try {
          for (const { sql, params } of batch) {
            const prepared = prepare(sql);
            prepared.statement.run(...bind(prepared, params));
          }
          db.exec('COMMIT');
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** Postgres `BIGINT` (type 20) as a JS number: our values (ms timestamps, counts) are far below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Opens a pool on `connectionString`; the first query fails with a readable error when the server is unreachable. */
export function openPostgresDb(connectionString: string, options: { readonly max?: number; readonly logger?: Logger | undefined } = {}): SqlDb {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 4, types: types as pg.CustomTypesConfig });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'idle postgres client failed'));
  const on = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<Row extends object>(sql: string, params: readonly SqlValue[] = []) {
      return (await client.query(sql, params as SqlValue[])).rows as Row[];
    },
    async run(sql, params = []) {
      return (await client.query(sql, params as SqlValue[])).rowCount ?? 0;
    },
  });
  const transaction = async <T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(on(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    dialect: 'postgres',
    ...on(pool),
    transaction,
    async runBatch(batch) {
      await transaction(async (tx) => {
        for (const { sql, params } of batch) await tx.run(sql, params);
      });
    },
    async close() {
      await pool.end();
    },
  };
}
