/**
 * What a call's timeline derives from the raw service and transport events, for call records and metrics: turns on
 * the media clock, latencies, barge-ins, agent switches, key presses, errors and token usage. A closed union; handle
 * it with an exhaustive `switch`. Times named `...Ms` without "latency" are milliseconds on the call's media clock
 * (ms of inbound audio since the stream started, Twilio's `media.timestamp` scale).
 */
import type { RealtimeUsage } from '../infrastructure/openai-realtime/realtime-usage.js';

/** One caller turn, as far as it is known (the transcript comes hundreds of ms after the speech ends). */
export interface CallerTurn {
  readonly speaker: 'caller';
  /** Realtime conversation item id of the turn. */
  readonly itemId: string;
  /** Where the model's VAD heard speech start and stop, on the media clock. */
  readonly startMs?: number | undefined;
  readonly endMs?: number | undefined;
  /** The final transcript; personal data. */
  readonly text?: string | undefined;
}

/** One bot turn, as far as it is known; updated as its audio plays. */
export interface BotTurn {
  readonly speaker: 'bot';
  readonly itemId: string;
  /** The agent the call ran as when the turn was spoken. */
  readonly agent: string;
  readonly text?: string | undefined;
  /** When its first audio reached the caller and when the last confirmed audio did, on the media clock. */
  readonly startMs?: number | undefined;
  readonly endMs?: number | undefined;
  /** The caller talked over it (barge-in). */
  readonly interrupted: boolean;
  /** Milliseconds of the turn's audio the caller heard (confirmed by mark echoes, or the truncate point). */
  readonly heardMs: number;
  /** Caller speech end → this turn's first audio at the caller, in ms of real time; undefined for the greeting. */
  readonly latencyMs?: number | undefined;
}

/** Everything a timeline reports. */
export type TimelineEvent =
  | { readonly type: 'caller_turn'; readonly turn: CallerTurn }
  | { readonly type: 'bot_turn'; readonly turn: BotTurn }
  /** The greeting's first audio reached the caller `latencyMs` (real time) after the stream started. */
  | { readonly type: 'first_audio'; readonly atMs: number; readonly latencyMs: number }
  /** Caller speech end → first bot audio at the caller, in real-time ms (also on the bot turn). */
  | { readonly type: 'turn_latency'; readonly itemId: string; readonly latencyMs: number }
  | {
      readonly type: 'barge_in';
      readonly atMs: number;
      /** The bot item the caller was hearing, and how much of it was heard (the truncate point). */
      readonly itemId?: string | undefined;
      readonly heardMs?: number | undefined;
      /** A response still in flight was cancelled. */
      readonly cancelledResponse: boolean;
    }
  | {
      readonly type: 'agent_switch';
      readonly atMs: number;
      readonly from: string;
      readonly to: string;
      readonly intent: string | undefined;
      readonly confidence: number | undefined;
    }
  /** One `session.update` changed the live instructions; `transcriptToUpdateMs` from the caller's final transcript. */
  | { readonly type: 'instructions_updated'; readonly atMs: number; readonly agent: string; readonly transcriptToUpdateMs?: number | undefined }
  /** A key press; `digit` is undefined when it was masked (typed into a `collect_digits` collection). */
  | { readonly type: 'dtmf'; readonly atMs: number; readonly digit: string | undefined }
  /** Twilio echoed a mark; `roundTripMs` is undefined for an echo of no mark we sent. */
  | { readonly type: 'mark_echo'; readonly roundTripMs: number | undefined; readonly stale: boolean }
  | { readonly type: 'realtime_error'; readonly atMs: number; readonly code: string | undefined; readonly message: string; readonly recoverable: boolean }
  | { readonly type: 'usage'; readonly atMs: number; readonly responseId: string; readonly usage: RealtimeUsage };

/** Receives timeline events synchronously; must not throw. */
export type TimelineListener = (event: TimelineEvent) => void;
