/**
 * Versioned schema migrations of the call record store, applied in order at boot, each once, in one transaction
 * with its bookkeeping row in `call_record_migrations`. On Postgres an advisory lock serializes instances booting
 * together. A migration is never edited once released: a change is a new version.
 */
import type { SqlDb, SqlExecutor } from './sql-db.js';

/** One schema step; `sql` per dialect, statements separated by `;`. */
export interface RecordMigration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

const CALL_RECORDS_V1 = (bigint: string, bool: string) => `
CREATE TABLE call_records (
  call_sid TEXT PRIMARY KEY,
  stream_sid TEXT,
  direction TEXT NOT NULL,
  from_number TEXT,
  to_number TEXT,
  started_at_ms ${bigint} NOT NULL,
  answered_at_ms ${bigint},
  ended_at_ms ${bigint},
  end_reason TEXT,
  initial_agent TEXT NOT NULL,
  final_agent TEXT NOT NULL,
  agents TEXT NOT NULL,
  transcripts_stored ${bool} NOT NULL,
  totals_json TEXT,
  updated_at_ms ${bigint} NOT NULL
);
CREATE INDEX call_records_started_at ON call_records (started_at_ms);
CREATE TABLE call_record_entries (
  call_sid TEXT NOT NULL,
  entry_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at_ms ${bigint} NOT NULL,
  data_json TEXT NOT NULL,
  PRIMARY KEY (call_sid, entry_key)
)`;

const WEBHOOK_OUTBOX_V2 = (bigint: string) => `
CREATE TABLE webhook_outbox (
  event_id TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  call_sid TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at_ms ${bigint} NOT NULL,
  next_attempt_at_ms ${bigint} NOT NULL,
  attempts INTEGER NOT NULL,
  delivered_at_ms ${bigint},
  failed_at_ms ${bigint},
  last_error TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at_ms) WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL`;

/** Shared call state of N instances (`src/store/shared-call-state.ts`): used stream-token nonces, answered CallSids. */
const SHARED_CALL_STATE_V3 = (bigint: string) => `
CREATE TABLE stream_token_uses (
  nonce TEXT PRIMARY KEY,
  call_sid TEXT NOT NULL,
  expires_at_ms ${bigint} NOT NULL
);
CREATE INDEX stream_token_uses_expiry ON stream_token_uses (expires_at_ms);
CREATE TABLE call_admissions (
  call_sid TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  answered_at_ms ${bigint} NOT NULL
);
CREATE INDEX call_admissions_answered_at ON call_admissions (answered_at_ms)`;

/** A call's conversation context (`src/call/conversation-context.ts`), kept for a reconnect or a resume elsewhere. */
const CONVERSATION_CONTEXTS_V4 = (bigint: string) => `
CREATE TABLE conversation_contexts (
  call_sid TEXT PRIMARY KEY,
  context_json TEXT NOT NULL,
  updated_at_ms ${bigint} NOT NULL
);
CREATE INDEX conversation_contexts_updated_at ON conversation_contexts (updated_at_ms)`;

/**
 * Outbound calls shared by N instances (`src/store/shared-outbound-calls.ts`): placed on one instance, their stream
 * and status callbacks served by any. `stream_key` is the provisional key the call's signed stream token names.
 */
const OUTBOUND_CALLS_V5 = (bigint: string) => `
CREATE TABLE outbound_calls (
  call_sid TEXT PRIMARY KEY,
  stream_key TEXT NOT NULL UNIQUE,
  agent TEXT,
  status TEXT NOT NULL,
  answered_by TEXT,
  duration_seconds INTEGER,
  placed_at_ms ${bigint} NOT NULL,
  updated_at_ms ${bigint} NOT NULL
);
CREATE INDEX outbound_calls_placed_at ON outbound_calls (placed_at_ms)`;

/**
 * Every migration, oldest first. Versions may have gaps (branches number theirs ahead of merging): the runner applies
 * every version not yet recorded, so a lower version merged later is still applied once.
 */
export const RECORD_MIGRATIONS: readonly RecordMigration[] = [
  { version: 1, name: 'call records and their entries', sqlite: CALL_RECORDS_V1('INTEGER', 'INTEGER'), postgres: CALL_RECORDS_V1('BIGINT', 'BOOLEAN') },
  { version: 2, name: 'webhook outbox', sqlite: WEBHOOK_OUTBOX_V2('INTEGER'), postgres: WEBHOOK_OUTBOX_V2('BIGINT') },
  { version: 3, name: 'shared call state', sqlite: SHARED_CALL_STATE_V3('INTEGER'), postgres: SHARED_CALL_STATE_V3('BIGINT') },
  { version: 4, name: 'conversation contexts', sqlite: CONVERSATION_CONTEXTS_V4('INTEGER'), postgres: CONVERSATION_CONTEXTS_V4('BIGINT') },
  { version: 5, name: 'shared outbound calls', sqlite: OUTBOUND_CALLS_V5('INTEGER'), postgres: OUTBOUND_CALLS_V5('BIGINT') },
];

/** Key of the Postgres advisory lock held while migrating (any constant unique to this table set). */
const MIGRATION_LOCK_KEY = 160_016;

async function appliedVersions(tx: SqlExecutor): Promise<Set<number>> {
  const rows = await tx.query<{ version: number }>(`SELECT version FROM call_record_migrations`);
  return new Set(rows.map((row) => Number(row.version)));
}

/**
 * Applies the migrations not yet applied; resolves the versions it applied. Throws (at boot) with the failing
 * version's name when one fails; that migration's changes are rolled back.
 */
export async function migrateRecordStore(db: SqlDb, migrations: readonly RecordMigration[] = RECORD_MIGRATIONS, nowMs = Date.now()): Promise<number[]> {
  const bigint = db.dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return db.transaction(async (tx) => {
    // Before anything else: two instances booting together would otherwise race even on CREATE TABLE IF NOT EXISTS.
    if (db.dialect === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.run(`CREATE TABLE IF NOT EXISTS call_record_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms ${bigint} NOT NULL)`);
    const applied = await appliedVersions(tx);
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      const sql = db.dialect === 'postgres' ? migration.postgres : migration.sqlite;
      try {
        for (const statement of sql.split(';').map((s) => s.trim()).filter((s) => s !== '')) await tx.run(statement);
      } catch (error) {
        throw new Error(`Call record migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
      }
      await tx.run(`INSERT INTO call_record_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)`, [migration.version, migration.name, nowMs]);
      done.push(migration.version);
    }
    return done;
  });
}
