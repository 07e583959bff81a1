/**
 * The persisted outbox of webhook events (`webhook_outbox`, migration 2 of the call record store): one row per event
 * with its exact body, when it is next due, how many attempts it had, and whether it was delivered or given up.
 * Claiming moves `next_attempt_at_ms` forward with a conditional update, so two instances (or two loops) never send
 * the same attempt; a claim whose sender died is retried when its lease runs out.
 */
import type { SqlDb } from '../records/sql-db.js';

/** One event waiting for delivery. */
export interface OutboxEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly callSid: string;
  readonly body: string;
  readonly createdAtMs: number;
  readonly nextAttemptAtMs: number;
  readonly attempts: number;
}

interface Row {
  event_id: string;
  event_type: string;
  call_sid: string;
  body: string;
  created_at_ms: number;
  next_attempt_at_ms: number;
  attempts: number;
}

const fromRow = (row: Row): OutboxEvent => ({
  eventId: row.event_id,
  eventType: row.event_type,
  callSid: row.call_sid,
  body: row.body,
  createdAtMs: Number(row.created_at_ms),
  nextAttemptAtMs: Number(row.next_attempt_at_ms),
  attempts: Number(row.attempts),
});

/** Outbox rows on a migrated call record database. */
export class OutboxStore {
  readonly #db: SqlDb;

  constructor(db: SqlDb) {
    this.#db = db;
  }

  /** Adds an event, due at once. */
  async add(event: Omit<OutboxEvent, 'attempts' | 'nextAttemptAtMs'>): Promise<void> {
    await this.#db.run(
      `INSERT INTO webhook_outbox (event_id, event_type, call_sid, body, created_at_ms, next_attempt_at_ms, attempts) VALUES ($1, $2, $3, $4, $5, $5, 0)`,
      [event.eventId, event.eventType, event.callSid, event.body, event.createdAtMs],
    );
  }

  /** Events due at `nowMs`, oldest due first. */
  async due(nowMs: number, limit: number): Promise<OutboxEvent[]> {
    const rows = await this.#db.query<Row>(
      `SELECT event_id, event_type, call_sid, body, created_at_ms, next_attempt_at_ms, attempts FROM webhook_outbox
       WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL AND next_attempt_at_ms <= $1 ORDER BY next_attempt_at_ms LIMIT $2`,
      [nowMs, limit],
    );
    return rows.map(fromRow);
  }

  /** Takes an attempt: true when this caller won it (nobody claimed it since `event` was read). */
  async claim(event: OutboxEvent, leaseUntilMs: number): Promise<boolean> {
    const changed = await this.#db.run(
      `UPDATE webhook_outbox SET next_attempt_at_ms = $3, attempts = attempts + 1
       WHERE event_id = $1 AND next_attempt_at_ms = $2 AND delivered_at_ms IS NULL AND failed_at_ms IS NULL`,
      [event.eventId, event.nextAttemptAtMs, leaseUntilMs],
    );
    return changed === 1;
  }

  async delivered(eventId: string, atMs: number): Promise<void> {
    await this.#db.run(`UPDATE webhook_outbox SET delivered_at_ms = $2, last_error = NULL WHERE event_id = $1`, [eventId, atMs]);
  }

  async retryAt(eventId: string, nextAttemptAtMs: number, error: string): Promise<void> {
    await this.#db.run(`UPDATE webhook_outbox SET next_attempt_at_ms = $2, last_error = $3 WHERE event_id = $1`, [eventId, nextAttemptAtMs, error.slice(0, 500)]);
  }

  async failed(eventId: string, atMs: number, error: string): Promise<void> {
    await this.#db.run(`UPDATE webhook_outbox SET failed_at_ms = $2, last_error = $3 WHERE event_id = $1`, [eventId, atMs, error.slice(0, 500)]);
  }

  /** The delivery state of one event (tests, operators). */
  async state(eventId: string): Promise<{ attempts: number; deliveredAtMs: number | null; failedAtMs: number | null; lastError: string | null } | undefined> {
    const [row] = await this.#db.query<{ attempts: number; delivered_at_ms: number | null; failed_at_ms: number | null; last_error: string | null }>(
      `SELECT attempts, delivered_at_ms, failed_at_ms, last_error FROM webhook_outbox WHERE event_id = $1`,
      [eventId],
    );
    return row && { attempts: Number(row.attempts), deliveredAtMs: row.delivered_at_ms, failedAtMs: row.failed_at_ms, lastError: row.last_error };
  }

  /** Deletes delivered or abandoned events created before `cutoffMs` (retention); resolves how many. */
  async prune(cutoffMs: number): Promise<number> {
    return this.#db.run(`DELETE FROM webhook_outbox WHERE created_at_ms < $1 AND (delivered_at_ms IS NOT NULL OR failed_at_ms IS NOT NULL)`, [cutoffMs]);
  }
}
