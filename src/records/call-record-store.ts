/**
 * `CallRecordStore`: where call records live. The same SQLite file as the checkpoints under `DATA_DIR` by default,
 * Postgres when `DATABASE_URL` is set (shared by every instance), an in-memory SQLite database in unit tests. The
 * schema is migrated at boot (`record-migrations.ts`). Writes are incremental: the call row when the stream starts,
 * entries and running totals as the call goes, the end at teardown.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { MS_PER_DAY } from '../infrastructure/checkpointer.js';
import { SQLITE_CHECKPOINT_FILE } from '../infrastructure/checkpointer.js';
import type { Logger } from '../logger.js';
import { assembleRecord, listItemOf, type CallRow } from './assemble-record.js';
import type { CallEnd, CallListItem, CallListQuery, CallRecord, CallStart, CallTotals, RecordEntry } from './call-record.js';
import { migrateRecordStore } from './record-migrations.js';
import { openPostgresDb, openSqliteDb, type SqlDb, type SqlStatement, type SqlValue } from './sql-db.js';

/** Most calls one list request returns. */
export const MAX_LIST_LIMIT = 200;

/** Reads and writes call records. */
export interface CallRecordStore {
  readonly kind: 'sqlite' | 'postgres' | 'memory';
  /** The database, shared with the webhook outbox. */
  readonly db: SqlDb;
  /** Writes the call row (a repeated start for the same CallSid, e.g. a second stream, refreshes it). */
  startCall(start: CallStart): Promise<void>;
  /** Inserts or overwrites entries (by key) and, when given, the running totals. */
  writeEntries(callSid: string, entries: readonly RecordEntry[], totals?: CallTotals): Promise<void>;
  /** `writeEntries` of several calls in one transaction: all written, or none (rejects; nothing of the batch kept). */
  writeEntriesBatch(writes: readonly EntriesWrite[]): Promise<void>;
  /** Finalises the call: end time, end reason, final totals. */
  finishCall(callSid: string, end: CallEnd): Promise<void>;
  /** The whole record, or undefined for an unknown CallSid. */
  getCall(callSid: string): Promise<CallRecord | undefined>;
  /** Calls newest first, filtered. */
  listCalls(query: CallListQuery): Promise<CallListItem[]>;
  /** Deletes calls that started more than `retentionDays` days ago (and their entries); resolves how many. */
  pruneCalls(retentionDays: number): Promise<number>;
  close(): Promise<void>;
}

/** One call's share of a `writeEntriesBatch`. */
export interface EntriesWrite {
  readonly callSid: string;
  readonly entries: readonly RecordEntry[];
  readonly totals?: CallTotals | undefined;
}

/** Wall clock in epoch ms, injectable for retention tests. */
export type EpochMs = () => number;

/** A record store over an open, migrated database. */
export function sqlCallRecordStore(db: SqlDb, kind: CallRecordStore['kind'], now: EpochMs = Date.now): CallRecordStore {
  const bool = (value: boolean): SqlValue => (db.dialect === 'postgres' ? (value as unknown as SqlValue) : value ? 1 : 0);
  const agentsColumn = (agents: readonly string[]): string => `,${agents.join(',')},`;
  /** The statements of one call's entries write: one multi-row upsert, then the totals. */
  const entriesStatements = ({ callSid, entries, totals }: EntriesWrite): SqlStatement[] => {
    const statements: SqlStatement[] = [];
    if (entries.length > 0) {
      // One statement per flush; the recorder never repeats a key within one flush.
      const values: string[] = [];
      const params: SqlValue[] = [];
      for (const entry of entries) {
        const n = params.length;
        values.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})`);
        params.push(callSid, entry.key, entry.seq, entry.kind, Math.round(entry.atMs), JSON.stringify(entry.data));
      }
      statements.push({
        sql: `INSERT INTO call_record_entries (call_sid, entry_key, seq, kind, at_ms, data_json) VALUES ${values.join(', ')}
           ON CONFLICT (call_sid, entry_key) DO UPDATE SET at_ms = excluded.at_ms, data_json = excluded.data_json`,
        params,
      });
    }
    if (totals) {
      statements.push({
        sql: `UPDATE call_records SET final_agent = $2, agents = $3, totals_json = $4, updated_at_ms = $5 WHERE call_sid = $1`,
        params: [callSid, totals.finalAgent, agentsColumn(totals.agents), JSON.stringify(totals), now()],
      });
    }
    return statements;
  };
  return {
    kind,
    db,
    async startCall(start) {
      await db.run(
        `INSERT INTO call_records (call_sid, stream_sid, direction, from_number, to_number, started_at_ms, answered_at_ms,
           initial_agent, final_agent, agents, transcripts_stored, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)
         ON CONFLICT (call_sid) DO UPDATE SET stream_sid = excluded.stream_sid, answered_at_ms = excluded.answered_at_ms,
           ended_at_ms = NULL, end_reason = NULL, updated_at_ms = excluded.updated_at_ms`,
        [
          start.callSid,
          start.streamSid,
          start.direction,
          start.from,
          start.to,
          start.startedAtMs,
          start.answeredAtMs,
          start.initialAgent,
          agentsColumn([start.initialAgent]),
          bool(start.transcriptsStored),
          now(),
        ],
      );
    },
    async writeEntries(callSid, entries, totals) {
      for (const { sql, params } of entriesStatements({ callSid, entries, totals })) await db.run(sql, params);
    },
    async writeEntriesBatch(writes) {
      const statements = writes.flatMap(entriesStatements);
      if (statements.length > 0) await db.runBatch(statements);
    },
    async finishCall(callSid, end) {
      await db.run(
        `UPDATE call_records SET ended_at_ms = $2, end_reason = $3, final_agent = $4, agents = $5, totals_json = $6, updated_at_ms = $7
         WHERE call_sid = $1`,
        [callSid, end.endedAtMs, end.endReason, end.totals.finalAgent, agentsColumn(end.totals.agents), JSON.stringify(end.totals), now()],
      );
    },
    async getCall(callSid) {
      const [row] = await db.query<CallRow>(`SELECT * FROM call_records WHERE call_sid = $1`, [callSid]);
      if (!row) return undefined;
      const entries = await db.query<{ entry_key: string; seq: number; kind: RecordEntry['kind']; at_ms: number; data_json: string }>(
        `SELECT entry_key, seq, kind, at_ms, data_json FROM call_record_entries WHERE call_sid = $1 ORDER BY seq`,
        [callSid],
      );
      return assembleRecord(
        row,
        entries.map((e) => ({ key: e.entry_key, seq: Number(e.seq), kind: e.kind, atMs: Number(e.at_ms), data: JSON.parse(e.data_json) as Record<string, unknown> })),
      );
    },
    async listCalls(query) {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (query.beforeMs !== undefined) {
        params.push(query.beforeMs);
        where.push(`started_at_ms < $${params.length}`);
      }
      if (query.agent !== undefined) {
        params.push(`%,${query.agent},%`);
        where.push(`agents LIKE $${params.length}`);
      }
      if (query.endReason !== undefined) {
        params.push(query.endReason);
        where.push(`end_reason = $${params.length}`);
      }
      params.push(Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(query.limit))));
      const rows = await db.query<CallRow>(
        `SELECT * FROM call_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY started_at_ms DESC, call_sid DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(listItemOf);
    },
    async pruneCalls(retentionDays) {
      const cutoff = now() - retentionDays * MS_PER_DAY;
      return db.transaction(async (tx) => {
        await tx.run(`DELETE FROM call_record_entries WHERE call_sid IN (SELECT call_sid FROM call_records WHERE started_at_ms < $1)`, [cutoff]);
        return tx.run(`DELETE FROM call_records WHERE started_at_ms < $1`, [cutoff]);
      });
    },
    async close() {
      await db.close();
    },
  };
}

/** Opens and migrates an in-memory store (unit tests, the offline demo). */
export async function createMemoryCallRecordStore(options: { readonly now?: EpochMs } = {}): Promise<CallRecordStore> {
  const db = openSqliteDb(':memory:');
  await migrateRecordStore(db);
  return sqlCallRecordStore(db, 'memory', options.now);
}

/**
 * Opens the configured store and applies pending migrations: Postgres when `databaseUrl` is set, otherwise the
 * checkpoint SQLite file under `dataDir`. Throws a readable error at boot when the database cannot be used.
 */
export async function createCallRecordStore(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
  options: { readonly now?: EpochMs; readonly logger?: Logger } = {},
): Promise<CallRecordStore> {
  const db = config.databaseUrl ? openPostgresDb(config.databaseUrl, { logger: options.logger }) : openSqliteDb(path.join(config.dataDir, SQLITE_CHECKPOINT_FILE));
  try {
    await migrateRecordStore(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    const where = config.databaseUrl ? (() => { const u = new URL(config.databaseUrl); return `${u.host}${u.pathname}`; })() : config.dataDir;
    throw new Error(`Cannot set up the call record store at ${where}: ${(error as Error).message}`, { cause: error });
  }
  return sqlCallRecordStore(db, config.databaseUrl ? 'postgres' : 'sqlite', options.now);
}
