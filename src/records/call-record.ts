/**
 * The call record: what is stored about one call and the JSON shape the calls API, the CLI and the post-call
 * webhook return. Stored as one `call_records` row (identity, timestamps, end reason, running totals) plus
 * `call_record_entries` (turns and events, written as the call goes). Times named `...Ms` inside a call are
 * milliseconds on the call's media clock (ms of caller audio since the stream started); `...At` are ISO 8601 UTC.
 */
import type { ActionRecord } from '../actions/action-log.js';
import type { RealtimeUsage } from '../infrastructure/openai-realtime/realtime-usage.js';
import type { BotTurn, CallerTurn } from '../telemetry/timeline-events.js';

/** Who placed the call. */
export type CallDirection = 'inbound' | 'outbound';

/** The row written when the call's media stream starts. Phone numbers are already masked unless configured. */
export interface CallStart {
  readonly callSid: string;
  readonly streamSid: string;
  readonly direction: CallDirection;
  readonly from: string | null;
  readonly to: string | null;
  /** Epoch ms the call reached us (voice webhook), or the stream start when no webhook was seen. */
  readonly startedAtMs: number;
  /** Epoch ms the media stream started (the bot picked up). */
  readonly answeredAtMs: number;
  readonly initialAgent: string;
  /** False when `STORE_TRANSCRIPTS=false`: turns then carry no words. */
  readonly transcriptsStored: boolean;
}

/** Media stream counters at the end of the call (or the latest snapshot). */
export interface StreamStats {
  readonly inboundFrames: number;
  readonly sentMediaMessages: number;
  /** Inbound gaps filled with silence (late or lost frames), in ms. */
  readonly silenceFilledMs: number;
  readonly droppedInboundChunks: number;
  readonly malformedMessages: number;
  readonly marksEchoed: number;
  /** Echoes of marks flushed by a `clear` (barge-in). */
  readonly staleMarkEchoes: number;
  /** Mark send → echo, in ms (includes the audio queued before the mark). */
  readonly markRoundTripMs: { readonly count: number; readonly mean: number | null; readonly max: number | null };
}

/** Running totals, rewritten as the call goes and at its end. */
export interface CallTotals {
  readonly finalAgent: string;
  /** Every agent the call ran as, in order of first use. */
  readonly agents: readonly string[];
  readonly responses: number;
  readonly usage: RealtimeUsage;
  /** From the configured price table; null when the model has no price. */
  readonly estimatedCostUsd: number | null;
  readonly stream?: StreamStats | undefined;
  /** How telephony actions ended the call (`transferred`, `hung_up`...), when actions were enabled. */
  readonly outcome?: string | undefined;
  readonly durationMs?: number | undefined;
  /** New Realtime sessions after drops, and rollovers before the session limit (`ReconnectingRealtimeClient`). */
  readonly realtimeReconnects?: number | undefined;
  readonly realtimeRollovers?: number | undefined;
}

/** The finalisation written at teardown. */
export interface CallEnd {
  readonly endedAtMs: number;
  readonly endReason: string;
  readonly totals: CallTotals;
}

/** Kinds of entries. */
export type EntryKind = 'turn' | 'barge_in' | 'agent_switch' | 'session_update' | 'dtmf' | 'action' | 'realtime_error' | 'usage' | 'first_audio';

/**
 * One stored entry. `key` is unique per call: a turn keeps its key (`turn:<itemId>`) and is overwritten as it
 * completes, every other entry is appended under its own sequence number.
 */
export interface RecordEntry {
  readonly key: string;
  readonly seq: number;
  readonly kind: EntryKind;
  readonly atMs: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A turn in a record: the timeline's turn, with `text` null when transcripts are not stored. */
export type RecordTurn = (Omit<CallerTurn, 'text'> | Omit<BotTurn, 'text'>) & { readonly text: string | null };

/** The whole record of one call, as returned by `GET /api/calls/:callSid`, `npm run calls -- show` and the webhook. */
export interface CallRecord {
  readonly callSid: string;
  readonly streamSid: string | null;
  readonly direction: CallDirection;
  readonly from: string | null;
  readonly to: string | null;
  readonly startedAt: string;
  readonly answeredAt: string | null;
  readonly endedAt: string | null;
  readonly durationMs: number | null;
  /** Null while the call is live (or when the process died before its teardown). */
  readonly endReason: string | null;
  readonly outcome: string | null;
  /** New Realtime sessions opened after a drop (0 for calls recorded before reconnects existed). */
  readonly realtimeReconnects: number;
  /** Realtime sessions replaced before their provider limit. */
  readonly realtimeRollovers: number;
  readonly transcriptsStored: boolean;
  readonly agents: {
    readonly initial: string;
    readonly final: string;
    /** The agent at each moment: each entry holds from `fromMs` until the next. */
    readonly timeline: readonly { readonly agent: string; readonly fromMs: number }[];
  };
  readonly agentSwitches: readonly {
    readonly atMs: number;
    readonly from: string;
    readonly to: string;
    readonly intent: string | null;
    readonly confidence: number | null;
  }[];
  /** Caller transcript → `session.update` sent, per instructions change. */
  readonly sessionUpdates: readonly { readonly atMs: number; readonly agent: string; readonly transcriptToUpdateMs: number | null }[];
  /** In the order they started. */
  readonly turns: readonly RecordTurn[];
  /** Stream start → the greeting's first audio at the caller (real-time ms). */
  readonly firstAudioMs: number | null;
  readonly bargeIns: readonly { readonly atMs: number; readonly itemId: string | null; readonly heardMs: number | null; readonly cancelledResponse: boolean }[];
  /** Key presses; `digit` is null when masked (typed into a `collect_digits` collection). */
  readonly dtmf: readonly { readonly atMs: number; readonly digit: string | null }[];
  readonly actions: readonly ActionRecord[];
  readonly realtimeErrors: readonly { readonly atMs: number; readonly code: string | null; readonly message: string; readonly recoverable: boolean }[];
  readonly usage: {
    readonly responses: number;
    readonly tokens: RealtimeUsage;
    readonly estimatedCostUsd: number | null;
  };
  readonly stream: StreamStats | null;
}

/** One line of `GET /api/calls`. */
export interface CallListItem {
  readonly callSid: string;
  readonly direction: CallDirection;
  readonly from: string | null;
  readonly to: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number | null;
  readonly endReason: string | null;
  readonly agents: readonly string[];
  readonly finalAgent: string;
  readonly estimatedCostUsd: number | null;
}

/** Filters of `GET /api/calls`: newest first, started before `beforeMs`, the agent took part, ended for this reason. */
export interface CallListQuery {
  readonly limit: number;
  readonly beforeMs?: number | undefined;
  readonly agent?: string | undefined;
  readonly endReason?: string | undefined;
}
