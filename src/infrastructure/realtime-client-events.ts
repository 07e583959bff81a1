/**
 * The closed set of events a `RealtimeClient` emits, and the small interface the service layer programs against
 * (so tests and other transports can stand in for the OpenAI-backed client). Audio is PCM16 mono 24 kHz.
 */
import type { ReplayItem } from '../call/conversation-context.js';
import type { RealtimeUsage } from './openai-realtime/realtime-usage.js';

/** Assistant output audio for one conversation item, decoded from a `response.output_audio.delta`. */
export interface RealtimeAudioEvent {
  readonly type: 'audio';
  readonly itemId: string;
  readonly responseId: string;
  /** PCM16 mono 24 kHz; a view over a buffer owned by this event (safe to keep). */
  readonly pcm: Int16Array;
}

/**
 * A user or assistant transcript. Partial events (`final: false`) carry the text accumulated so far for the item;
 * the final event carries the whole transcript.
 */
export interface RealtimeTranscriptEvent {
  readonly type: 'transcript';
  readonly role: 'user' | 'assistant';
  readonly itemId: string;
  readonly text: string;
  readonly final: boolean;
}

/** The model's VAD heard the caller start speaking (`input_audio_buffer.speech_started`). */
export interface RealtimeSpeechStartedEvent {
  readonly type: 'speech_started';
  readonly itemId?: string | undefined;
  /** Milliseconds of input audio appended since the session started, where speech began. */
  readonly audioStartMs: number;
}

/** The model's VAD heard the caller stop speaking (`input_audio_buffer.speech_stopped`). */
export interface RealtimeSpeechStoppedEvent {
  readonly type: 'speech_stopped';
  readonly itemId?: string | undefined;
  readonly audioEndMs: number;
}

/**
 * A user item joined the conversation (`conversation.item.added` with role `user`): a committed caller turn or a
 * typed message. A response created after it is the reply to that turn.
 */
export interface RealtimeUserItemEvent {
  readonly type: 'user_item';
  readonly itemId: string;
}

/** A response added an assistant message (`response.output_item.added`), before any of its audio. */
export interface RealtimeOutputItemEvent {
  readonly type: 'output_item';
  readonly itemId: string;
  readonly responseId: string;
}

/** A response started (`response.created`); it is in flight until `response_done`. */
export interface RealtimeResponseStartedEvent {
  readonly type: 'response_started';
  readonly responseId: string;
}

/** A response ended (`response.done`) with the server's status. */
export interface RealtimeResponseDoneEvent {
  readonly type: 'response_done';
  readonly responseId: string;
  readonly status: 'completed' | 'cancelled' | 'failed' | 'incomplete' | 'in_progress' | 'unknown';
  /** Tokens the response used (`response.usage`), when the server reported them. */
  readonly usage?: RealtimeUsage | undefined;
}

/** The model called a function tool; the SDK runs the tool and sends its output itself. */
export interface RealtimeToolCallEvent {
  readonly type: 'tool_call';
  readonly itemId: string | undefined;
  readonly callId: string;
  readonly name: string;
  /** JSON text of the arguments, exactly as the model produced it. */
  readonly arguments: string;
  readonly responseId: string;
}

/** A failure on the live session. `recoverable` means the session is still usable. */
export interface RealtimeErrorEvent {
  readonly type: 'error';
  readonly error: Error;
  readonly recoverable: boolean;
  /** Server error code (`error.code` of a Realtime `error` event), when the server sent one. */
  readonly code?: string | undefined;
}

/** The session is gone; no event follows. `disconnect` means we closed it. */
export interface RealtimeClosedEvent {
  readonly type: 'closed';
  readonly reason: 'disconnect' | 'remote' | 'error';
  /** WebSocket close code, when the socket reported one. */
  readonly code?: number | undefined;
}

/** Everything a `RealtimeClient` emits; handle with an exhaustive `switch` on `type`. */
export type RealtimeClientEvent =
  | RealtimeAudioEvent
  | RealtimeTranscriptEvent
  | RealtimeSpeechStartedEvent
  | RealtimeSpeechStoppedEvent
  | RealtimeUserItemEvent
  | RealtimeOutputItemEvent
  | RealtimeResponseStartedEvent
  | RealtimeResponseDoneEvent
  | RealtimeToolCallEvent
  | RealtimeErrorEvent
  | RealtimeClosedEvent;

/** Receives every client event synchronously, in wire order. */
export type RealtimeClientListener = (event: RealtimeClientEvent) => void;

/** Options for one response the client asks for (`response.create`). */
export interface ResponseRequest {
  /** Instructions for this response only (e.g. the greeting); the session's instructions are unchanged. */
  readonly instructions?: string | undefined;
}

/**
 * What became of an input handed to the client: written to the socket, held until the session opens (then written
 * in order), or not delivered (the session is closed or failed, or audio came before the session was open).
 */
export type SendResult = 'sent' | 'queued' | 'not_delivered';

/** What the service needs from a Realtime connection; `RealtimeClient` is the production implementation. */
export interface RealtimeClientLike {
  /** Opens the session; resolves once the socket is open and the first `session.update` is sent. */
  connect(): Promise<void>;
  /** Closes the session; idempotent. Emits `closed {reason: 'disconnect'}` if it was open. */
  disconnect(): Promise<void>;
  /**
   * Appends caller PCM16 24 kHz to the input buffer, or adds a user text message and asks for a response. A text
   * message sent before the session is open is queued and sent, in order, when it opens; caller audio from before
   * the session opened is not delivered (it would be stale). Never drops silently: the result says what happened.
   */
  sendRequest(input: Int16Array | string): SendResult;
  /**
   * Resolves true once the session is open and everything queued before that was written (at once when open),
   * false when it closed or failed before opening (queued inputs were then not delivered).
   */
  opened(): Promise<boolean>;
  /** Changes the live session's instructions with one `session.update`; never reconnects, never cuts audio. */
  updateInstructions(instructions: string): Promise<void>;
  /** Asks the model to speak now (`response.create`); queued like a text message before the session opens. */
  createResponse(request?: ResponseRequest): SendResult;
  /**
   * Removes an item from the conversation (`conversation.item.delete`), e.g. a cancelled reply nobody heard.
   * Returns false (nothing sent) when the session is not open.
   */
  deleteItem(itemId: string): boolean;
  /**
   * Truncates an assistant item at `audioEndMs`, capped at the audio this client received for it. Returns the
   * value sent, or undefined when nothing was sent: an item with no audio received cannot be truncated (the server
   * rejects it: "Only model output audio messages can be truncated").
   */
  truncate(itemId: string, audioEndMs: number): number | undefined;
  /** Cancels the response in flight; returns false (and sends nothing) when none is in flight. */
  cancelResponse(): boolean;
  /**
   * Adds a finished text item to the conversation (`conversation.item.create`), asking for no response: how a new
   * session is told the conversation so far. Returns false (nothing sent) when the session is not open.
   */
  addItem(item: ReplayItem): boolean;
  /** True between `response_started` and `response_done`. */
  isResponseInFlight(): boolean;
  /** Milliseconds of audio this client has received for an item (0 for an unknown item). */
  receivedAudioMs(itemId: string): number;
  /** Subscribes to every event; returns the unsubscribe function. */
  on(listener: RealtimeClientListener): () => void;
}
