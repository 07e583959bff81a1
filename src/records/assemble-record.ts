/**
 * Builds a `CallRecord` from its stored row and entries: a pure function, so the API, the CLI and the webhook
 * return the same shape whatever the backend.
 */
import type { ActionRecord } from '../actions/action-log.js';
import { EMPTY_USAGE } from '../infrastructure/openai-realtime/realtime-usage.js';
import type { CallDirection, CallListItem, CallRecord, CallTotals, RecordEntry, RecordTurn } from './call-record.js';

/** A `call_records` row as read back. */
export interface CallRow {
  readonly call_sid: string;
  readonly stream_sid: string | null;
  readonly direction: string;
  readonly from_number: string | null;
  readonly to_number: string | null;
  readonly started_at_ms: number;
  readonly answered_at_ms: number | null;
  readonly ended_at_ms: number | null;
  readonly end_reason: string | null;
  readonly initial_agent: string;
  readonly final_agent: string;
  readonly agents: string;
  readonly transcripts_stored: number | boolean;
  readonly totals_json: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

function totalsOf(row: CallRow): Partial<CallTotals> {
  if (row.totals_json === null) return {};
  try {
    return JSON.parse(row.totals_json) as Partial<CallTotals>;
  } catch {
    return {};
  }
}

/** `,billing,retention,` → `['billing', 'retention']`. */
export function agentsOf(row: Pick<CallRow, 'agents'>): string[] {
  return row.agents.split(',').filter((agent) => agent !== '');
}

function durationOf(row: CallRow, totals: Partial<CallTotals>): number | null {
  if (totals.durationMs !== undefined) return totals.durationMs;
  if (row.ended_at_ms === null) return null;
  return Number(row.ended_at_ms) - Number(row.answered_at_ms ?? row.started_at_ms);
}

/** The list view of a row. */
export function listItemOf(row: CallRow): CallListItem {
  const totals = totalsOf(row);
  return {
    callSid: row.call_sid,
    direction: row.direction as CallDirection,
    from: row.from_number,
    to: row.to_number,
    startedAt: iso(row.started_at_ms) as string,
    endedAt: iso(row.ended_at_ms),
    durationMs: durationOf(row, totals),
    endReason: row.end_reason,
    agents: agentsOf(row),
    finalAgent: row.final_agent,
    estimatedCostUsd: totals.estimatedCostUsd ?? null,
  };
}

type Data = Readonly<Record<string, unknown>>;
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The record of a row and its entries (in any order; they are sorted by sequence here). */
export function assembleRecord(row: CallRow, entries: readonly RecordEntry[]): CallRecord {
  const totals = totalsOf(row);
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const of = (kind: RecordEntry['kind']): { atMs: number; data: Data }[] =>
    sorted.filter((entry) => entry.kind === kind).map((entry) => ({ atMs: Number(entry.atMs), data: entry.data }));
  const agentSwitches = of('agent_switch').map(({ atMs, data }) => ({
    atMs,
    from: String(data.from),
    to: String(data.to),
    intent: str(data.intent),
    confidence: num(data.confidence),
  }));
  const turns = of('turn')
    .map(({ data }) => data as unknown as RecordTurn)
    .map((turn) => ({ ...turn, text: turn.text ?? null }))
    .sort((a, b) => (a.startMs ?? a.endMs ?? Number.MAX_SAFE_INTEGER) - (b.startMs ?? b.endMs ?? Number.MAX_SAFE_INTEGER));
  return {
    callSid: row.call_sid,
    streamSid: row.stream_sid,
    direction: row.direction as CallDirection,
    from: row.from_number,
    to: row.to_number,
    startedAt: iso(row.started_at_ms) as string,
    answeredAt: iso(row.answered_at_ms),
    endedAt: iso(row.ended_at_ms),
    durationMs: durationOf(row, totals),
    endReason: row.end_reason,
    outcome: totals.outcome ?? null,
    realtimeReconnects: totals.realtimeReconnects ?? 0,
    realtimeRollovers: totals.realtimeRollovers ?? 0,
    transcriptsStored: row.transcripts_stored === true || row.transcripts_stored === 1,
    agents: {
      initial: row.initial_agent,
      final: row.final_agent,
      timeline: [{ agent: row.initial_agent, fromMs: 0 }, ...agentSwitches.map((change) => ({ agent: change.to, fromMs: change.atMs }))],
    },
    agentSwitches,
    sessionUpdates: of('session_update').map(({ atMs, data }) => ({
      atMs,
      agent: String(data.agent),
      transcriptToUpdateMs: num(data.transcriptToUpdateMs),
    })),
    turns,
    firstAudioMs: num(of('first_audio')[0]?.data.latencyMs),
    bargeIns: of('barge_in').map(({ atMs, data }) => ({
      atMs,
      itemId: str(data.itemId),
      heardMs: num(data.heardMs),
      cancelledResponse: data.cancelledResponse === true,
    })),
    dtmf: of('dtmf').map(({ atMs, data }) => ({ atMs, digit: str(data.digit) })),
    actions: of('action').map(({ data }) => data as unknown as ActionRecord),
    realtimeErrors: of('realtime_error').map(({ atMs, data }) => ({
      atMs,
      code: str(data.code),
      message: String(data.message),
      recoverable: data.recoverable === true,
    })),
    usage: {
      responses: totals.responses ?? 0,
      tokens: totals.usage ?? EMPTY_USAGE,
      estimatedCostUsd: totals.estimatedCostUsd ?? null,
    },
    stream: totals.stream ?? null,
  };
}
