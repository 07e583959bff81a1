/**
 * The call state every instance must see, in the same database as the call records (Postgres with `DATABASE_URL`,
 * the shared engine for N instances; the SQLite file under `DATA_DIR` for one), created by the record store's
 * migrations (versions 3 and 4):
 * - `stream_token_uses`: the nonce of every consumed stream token, inserted atomically, so a token is used once
 *   across all instances;
 * - `call_admissions`: the "CallSid answered once" record (`CallAdmissionStore`), claimed with an atomic insert;
 * - `outbound_calls` (version 5): the calls placed through `POST /calls` and their stream keys (`outboundCalls`).
 * - `conversation_contexts`: each live call's conversation context (`ConversationContextStore`), upserted at each
 *   completed turn, deleted when the call ends, pruned with the admissions.
 * Times are epoch ms (instances share no monotonic clock).
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { SQLITE_CHECKPOINT_FILE } from '../infrastructure/checkpointer.js';
import type { Logger } from '../logger.js';
import { migrateRecordStore } from '../records/record-migrations.js';
import { openPostgresDb, openSqliteDb, type SqlDb } from '../records/sql-db.js';
import { SharedOutboundCalls } from './shared-outbound-calls.js';
import type { ConversationContextStore } from '../call/conversation-recorder.js';
import { parseConversationContext, type ConversationContext } from '../call/conversation-context.js';
import { DEFAULT_ADMISSION_MEMORY_MS, type AdmissionVerdict, type CallAdmissionStore } from '../telephony/call-admission-store.js';

/** How often expired nonces and forgotten admissions are deleted. */
export const SHARED_STATE_PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** Options of {@link SharedCallState}. */
export interface SharedCallStateOptions {
  /** How long an answer waits for its stream before the CallSid counts as served (the stream token's TTL). */
  readonly answerWindowMs: number;
  readonly memoryMs?: number;
  /** Epoch ms. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** Shared call state over a migrated database. */
export class SharedCallState implements CallAdmissionStore, ConversationContextStore {
  readonly #db: SqlDb;
  readonly #answerWindowMs: number;
  readonly #memoryMs: number;
  readonly #now: () => number;
  readonly #pruneTimer: ReturnType<typeof setInterval>;
  /** Outbound calls placed by any instance. */
  readonly outboundCalls: SharedOutboundCalls;

  constructor(db: SqlDb, options: SharedCallStateOptions) {
    this.#db = db;
    this.outboundCalls = new SharedOutboundCalls(db, options.now);
    this.#answerWindowMs = options.answerWindowMs;
    this.#memoryMs = options.memoryMs ?? DEFAULT_ADMISSION_MEMORY_MS;
    this.#now = options.now ?? Date.now;
    this.#pruneTimer = setInterval(() => {
      this.prune().catch((error: unknown) => options.logger?.warn({ err: error }, 'pruning the shared call state failed'));
    }, SHARED_STATE_PRUNE_INTERVAL_MS);
    this.#pruneTimer.unref();
  }

  /** Which engine holds the state. */
  get dialect(): SqlDb['dialect'] {
    return this.#db.dialect;
  }

  /** Records the token's nonce; true the first time on any instance, false for a replay. */
  async useStreamToken(nonce: string, callSid: string, expiresAtMs: number): Promise<boolean> {
    const inserted = await this.#db.run(
      `INSERT INTO stream_token_uses (nonce, call_sid, expires_at_ms) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING`,
      [nonce, callSid, expiresAtMs],
    );
    return inserted === 1;
  }

  async claim(callSid: string): Promise<AdmissionVerdict> {
    const now = this.#now();
    const inserted = await this.#db.run(
      `INSERT INTO call_admissions (call_sid, state, answered_at_ms) VALUES ($1, 'answered', $2) ON CONFLICT (call_sid) DO NOTHING`,
      [callSid, now],
    );
    if (inserted === 1) return 'admitted';
    const [row] = await this.#db.query<{ state: string; answered_at_ms: number }>(`SELECT state, answered_at_ms FROM call_admissions WHERE call_sid = $1`, [callSid]);
    if (row && row.state === 'answered' && now - Number(row.answered_at_ms) < this.#answerWindowMs) return 'pending';
    return 'served';
  }

  async markStreamStarted(callSid: string): Promise<void> {
    await this.#db.run(
      `INSERT INTO call_admissions (call_sid, state, answered_at_ms) VALUES ($1, 'streaming', $2) ON CONFLICT (call_sid) DO UPDATE SET state = 'streaming'`,
      [callSid, this.#now()],
    );
  }

  /** Writes (or replaces) the call's conversation context. */
  async saveContext(callSid: string, context: ConversationContext): Promise<void> {
    await this.#db.run(
      `INSERT INTO conversation_contexts (call_sid, context_json, updated_at_ms) VALUES ($1, $2, $3)
       ON CONFLICT (call_sid) DO UPDATE SET context_json = excluded.context_json, updated_at_ms = excluded.updated_at_ms`,
      [callSid, JSON.stringify(context), this.#now()],
    );
  }

  /** The call's stored context; undefined when there is none or the stored text is not a context. */
  async loadContext(callSid: string): Promise<ConversationContext | undefined> {
    const [row] = await this.#db.query<{ context_json: string }>(`SELECT context_json FROM conversation_contexts WHERE call_sid = $1`, [callSid]);
    return row ? parseConversationContext(row.context_json) : undefined;
  }

  async deleteContext(callSid: string): Promise<void> {
    await this.#db.run(`DELETE FROM conversation_contexts WHERE call_sid = $1`, [callSid]);
  }

  /** Deletes expired nonces, and admissions and contexts older than the memory; resolves the rows deleted. */
  async prune(): Promise<number> {
    const now = this.#now();
    const tokens = await this.#db.run(`DELETE FROM stream_token_uses WHERE expires_at_ms < $1`, [now]);
    const admissions = await this.#db.run(`DELETE FROM call_admissions WHERE answered_at_ms < $1`, [now - this.#memoryMs]);
    const outbound = await this.outboundCalls.prune();
    const contexts = await this.#db.run(`DELETE FROM conversation_contexts WHERE updated_at_ms < $1`, [now - this.#memoryMs]);
    return tokens + admissions + outbound + contexts;
  }

  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#db.close();
  }
}

/** Opens the configured database (as the call record store does), applies pending migrations and prunes once. */
export async function openSharedCallState(
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'streamTokenTtlMs'>,
  options: { readonly logger?: Logger; readonly now?: () => number } = {},
): Promise<SharedCallState> {
  const db = config.databaseUrl ? openPostgresDb(config.databaseUrl, { logger: options.logger }) : openSqliteDb(path.join(config.dataDir, SQLITE_CHECKPOINT_FILE));
  try {
    await migrateRecordStore(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw new Error(`Cannot set up the shared call state: ${(error as Error).message}`, { cause: error });
  }
  const state = new SharedCallState(db, { answerWindowMs: config.streamTokenTtlMs, ...options });
  await state.prune();
  return state;
}

/** An in-memory SQLite state (one process; tests and harnesses whose fixed CallSids must be answerable on every run). */
export async function createMemorySharedCallState(config: Pick<Config, 'streamTokenTtlMs'>): Promise<SharedCallState> {
  const db = openSqliteDb(':memory:');
  await migrateRecordStore(db);
  return new SharedCallState(db, { answerWindowMs: config.streamTokenTtlMs });
}
