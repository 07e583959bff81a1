/**
 * Outbound calls in the shared database (`outbound_calls`, migration 5), so `POST /calls` on one instance and the
 * call's media stream, status callbacks and `GET /calls/:callSid` on any other see the same call. Times are epoch ms.
 */
import type { OutboundCallState, OutboundCallStates } from '../actions/outbound-call-registry.js';
import { applyStatusCallback } from '../actions/outbound-call-registry.js';
import type { SqlDb } from '../records/sql-db.js';
import type { StatusCallback } from '../telephony/call-handler.js';

/** How long a placed call is remembered (its state, and its stream key's binding). */
export const OUTBOUND_CALL_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;

interface Row {
  call_sid: string;
  agent: string | null;
  status: string;
  answered_by: string | null;
  duration_seconds: number | null;
  placed_at_ms: number;
  updated_at_ms: number;
}

function fromRow(row: Row): OutboundCallState {
  return {
    callSid: row.call_sid,
    agent: row.agent ?? undefined,
    status: row.status,
    answeredBy: row.answered_by ?? undefined,
    durationSeconds: row.duration_seconds === null ? undefined : Number(row.duration_seconds),
    placedAtMs: Number(row.placed_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

const COLUMNS = 'call_sid, agent, status, answered_by, duration_seconds, placed_at_ms, updated_at_ms';

/** Outbound call state over a migrated database. */
export class SharedOutboundCalls implements OutboundCallStates {
  readonly #db: SqlDb;
  readonly #now: () => number;

  constructor(db: SqlDb, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async placed(callSid: string, agent: string | undefined, status: string, streamKey?: string): Promise<OutboundCallState> {
    const now = this.#now();
    // Without a signed stream key (per-process tokens) the CallSid stands in: the column is unique and never looked up by it.
    await this.#db.run(
      `INSERT INTO outbound_calls (call_sid, stream_key, agent, status, placed_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (call_sid) DO UPDATE SET stream_key = excluded.stream_key, agent = excluded.agent, status = excluded.status, updated_at_ms = excluded.updated_at_ms`,
      [callSid, streamKey ?? callSid, agent ?? null, status, now],
    );
    return { callSid, agent, status, answeredBy: undefined, durationSeconds: undefined, placedAtMs: now, updatedAtMs: now };
  }

  async update(status: StatusCallback): Promise<OutboundCallState | undefined> {
    const current = await this.get(status.callSid);
    if (!current) return undefined;
    const next = applyStatusCallback(current, status, this.#now());
    // Callbacks of one call may reach two instances at once: each writes only the fields its callback carries.
    await this.#db.run(
      `UPDATE outbound_calls SET status = COALESCE($2, status), answered_by = COALESCE($3, answered_by),
       duration_seconds = COALESCE($4, duration_seconds), updated_at_ms = $5 WHERE call_sid = $1`,
      [
        status.callSid,
        status.callStatus ?? null,
        status.params.AnsweredBy ?? null,
        next.durationSeconds !== current.durationSeconds ? (next.durationSeconds ?? null) : null,
        next.updatedAtMs,
      ],
    );
    return (await this.get(status.callSid)) ?? next;
  }

  async get(callSid: string): Promise<OutboundCallState | undefined> {
    const [row] = await this.#db.query<Row>(`SELECT ${COLUMNS} FROM outbound_calls WHERE call_sid = $1`, [callSid]);
    return row ? fromRow(row) : undefined;
  }

  async callSidForStreamKey(streamKey: string): Promise<string | undefined> {
    const [row] = await this.#db.query<{ call_sid: string }>(`SELECT call_sid FROM outbound_calls WHERE stream_key = $1`, [streamKey]);
    return row?.call_sid;
  }

  /** Forgets calls placed before the memory; resolves the rows deleted. */
  async prune(): Promise<number> {
    return this.#db.run(`DELETE FROM outbound_calls WHERE placed_at_ms < $1`, [this.#now() - OUTBOUND_CALL_MEMORY_MS]);
  }
}
