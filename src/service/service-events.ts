/**
 * What a `RealtimeService` tells its observers (call records, metrics, the call owner): a closed union, never
 * carrier JSON. Transcripts travel under the `text` key, which the logger redacts.
 */
import type { OrchestratorResult } from '../domain/orchestrator.js';
import type { RealtimeUsage } from '../infrastructure/openai-realtime/realtime-usage.js';

/** One chunk of assistant audio for the carrier: PCM16 mono at the call's service rate tagged with its conversation item. */
export interface ServiceAudioChunk {
  readonly itemId: string;
  /** May be empty on the item's last chunk. */
  readonly pcm: Int16Array;
  /**
   * Set on the last chunk of an item (after its response is done), in order behind its audio, so the carrier can
   * send the resampler's tail and any partial chunk at once instead of holding them.
   */
  readonly itemDone?: boolean;
}

/** One truncate the service sent during a barge-in. */
export interface Truncation {
  readonly itemId: string;
  readonly audioEndMs: number;
}

/** Everything a service emits; handle with an exhaustive `switch` on `type`. */
export type ServiceEvent =
  | { readonly type: 'transcript'; readonly role: 'user' | 'assistant'; readonly itemId: string; readonly text: string; readonly final: boolean }
  /** The caller started speaking; `audible` says whether the bot was heard at that moment (a barge-in follows). */
  | { readonly type: 'speech_started'; readonly itemId?: string | undefined; readonly audioStartMs: number; readonly audible: boolean }
  | { readonly type: 'speech_stopped'; readonly itemId?: string | undefined; readonly audioEndMs: number }
  /**
   * The caller spoke while the bot was speaking or about to (response in flight, audio queued): the carrier queue
   * was cleared, the response in flight cancelled and the items below truncated or deleted.
   */
  | {
      readonly type: 'barge_in';
      /** `clock.now()` when the barge-in was handled. */
      readonly at: number;
      /** The response cancelled because it was still in flight, if any. */
      readonly cancelledResponseId?: string | undefined;
      /** Oldest first; the first is the item the caller was hearing. */
      readonly truncations: readonly Truncation[];
      /** Items of the cancelled response that had no audio yet: deleted (none can be truncated) once it is done. */
      readonly deletedItemIds: readonly string[];
    }
  /**
   * An agent switch replaced the reply to the same caller turn before the caller heard it (see
   * `same-turn-switch.ts`): Twilio cleared, the reply cancelled, truncated and deleted, the new agent asked to answer.
   */
  | {
      readonly type: 'reply_rerouted';
      /** `clock.now()` when the re-route began (the orchestrator's result arrived). */
      readonly at: number;
      readonly agent: string;
      readonly replacedResponseId: string;
      /** Set when the replaced reply was still in flight and a `response.cancel` was sent. */
      readonly cancelledResponseId?: string | undefined;
      /** True when audio had reached the carrier and was cleared (Twilio `clear`), false when none had. */
      readonly carrierCleared: boolean;
      readonly truncations: readonly Truncation[];
      readonly deletedItemIds: readonly string[];
      /** False when the caller started a new turn meanwhile: that turn's reply speaks as the new agent instead. */
      readonly responseRequested: boolean;
    }
  | { readonly type: 'response_started'; readonly responseId: string }
  /** A response ended; `usage` is its token usage when the server reported it. */
  | { readonly type: 'response_done'; readonly responseId: string; readonly status: string; readonly usage?: RealtimeUsage | undefined }
  /** An orchestrator run finished (whether or not it changed the agent). */
  | { readonly type: 'intent'; readonly result: OrchestratorResult }
  /** The live session's instructions changed (one `session.update`). */
  | { readonly type: 'instructions_updated'; readonly agent?: string | undefined }
  | { readonly type: 'tool_call'; readonly name: string; readonly callId: string }
  /** `code`: the Realtime server's `error.code`, when the error came from the server. */
  | { readonly type: 'error'; readonly error: Error; readonly recoverable: boolean; readonly code?: string | undefined }
  /** The service is finished; no event follows. */
  | { readonly type: 'closed'; readonly reason: 'closed' | 'remote' | 'error' };

/** Receives every service event synchronously. */
export type ServiceListener = (event: ServiceEvent) => void;
