/**
 * The SDK's WebSocket transport with its own guesses switched off. `OpenAIRealtimeWebSocket` reacts to
 * `input_audio_buffer.speech_started` by calling `interrupt()`, which cancels the response and truncates the item
 * at "wall-clock time since the first delta" (`Date.now() - _firstAudioTimestamp`). On a phone call that guess is
 * wrong: the carrier buffers audio, so the caller has heard less than was received. Barge-in is decided by the
 * service with the carrier's confirmed playback position instead, so here:
 * - `interrupt()` (called by the SDK on speech_started and by output guardrails) does nothing;
 * - `_updateTracingConfig` sends nothing: the SDK would send a tracing-only `session.update` after
 *   `session.created` that carries no audio formats, and tracing would ship transcripts to OpenAI's dashboard.
 * Truncation and cancellation go through `truncateItem` and `cancelInFlight`, sent explicitly by the client.
 *
 * The socket is a `RealtimeWebSocket` (made through the SDK's `createWebSocket` hook, with the same headers the SDK
 * would send): every output-audio delta the SDK would play reaches the sink, tagged with its item id (which the
 * SDK's `audio` event lacks), without the SDK's per-message parsing; a delta it leaves alone is one the SDK's schema
 * drops too, so the SDK's `_onAudio` is never reached (test/infrastructure/openai-realtime/sdk-contract.test.ts).
 * Appends are written straight to the socket.
 *
 * Server events the SDK does nothing with except hand them to its `*` listeners (`SDK_INERT_EVENT_TYPES`) are routed
 * past it too: the socket parses each once and the transport emits it on `*` itself, as the SDK would (the wire JSON,
 * one object for every listener). The SDK would parse each twice with JSON and twice with zod and `structuredClone`
 * it, for nothing (contract-tested in sdk-contract.test.ts: the plain SDK sends nothing and changes no state the
 * project reads on these events).
 *
 * So are the conversation-item events whose only consumer in the SDK is `RealtimeSession`'s local copy of the
 * conversation (`SDK_HISTORY_EVENT_TYPES`, see `routesPastSdk`): the session rebuilds that copy on every item event
 * (`updateRealtimeHistory` maps the whole history, so a call's per-event cost grows with its length), and the
 * transport answers every `conversation.item.input_audio_transcription.completed` and `conversation.item.truncated`
 * with a `conversation.item.retrieve` only to refresh it. The project keeps its own conversation context
 * (`ConversationRecorder`, from the `*` events) and never reads `RealtimeSession.history`; its tools do not read
 * `context.history`. With this transport the session's history holds the tool calls only (the SDK records them from
 * the function-call path, which still goes through it), and `RealtimeSession.updateHistory` is refused
 * (`resetHistory` throws): it diffs against that local copy and would recreate the whole conversation.
 */
import { OpenAIRealtimeWebSocket, type OpenAIRealtimeWebSocketOptions } from '@openai/agents-realtime';
import type { RealtimeAudioFormatName } from '../../audio/audio-format.js';
import { RealtimeWebSocket } from './realtime-websocket.js';

/**
 * Server events the SDK (0.20, with this transport's overrides and a `RealtimeSession` without output guardrails)
 * only forwards to `*` listeners:
 * - `input_audio_buffer.speech_started`: its one reaction is `interrupt()`, disabled here;
 * - `response.output_audio_transcript.delta`: feeds the session's output-guardrail text, used only when output
 *   guardrails are configured (the project configures none) and dropped at `response.done`;
 * - the others reach no branch of the SDK's handlers at all.
 * The item lifecycle events are routed too when only the SDK's history uses them (`SDK_HISTORY_EVENT_TYPES`);
 * everything else (response lifecycle, errors, session updates, tool calls) still goes through the SDK, which keeps
 * its response sequencer and usage state from them.
 */
export const SDK_INERT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'input_audio_buffer.committed',
  'input_audio_buffer.cleared',
  'conversation.item.input_audio_transcription.delta',
  'response.content_part.added',
  'response.content_part.done',
  'response.output_audio_transcript.delta',
  'response.output_audio_transcript.done',
  'rate_limits.updated',
]);

/**
 * Conversation-item events the SDK (0.20) uses only for `RealtimeSession`'s history (and the item retrieves that
 * refresh it), routed past it when `routesPastSdk` says so:
 * - `conversation.item.added` / `.done` / `.retrieved` and `response.output_item.added` / `.done` of a `message`
 *   item: the transport turns each into an `item_update` (a zod parse of the item) for the session's history; the
 *   `added` also settles a pending `updateHistory` create (refused here). Other item types (function calls, MCP
 *   items) stay with the SDK: it dispatches tool calls from `response.output_item.done` and MCP state from the rest.
 * - `conversation.item.deleted`: an `item_deleted` for the history (and settles a pending `updateHistory` delete);
 * - `conversation.item.input_audio_transcription.completed`: the session merges the transcript into its history
 *   (from `*`, which still sees it), the transport sends `conversation.item.retrieve`;
 * - `conversation.item.truncated`: the transport sends `conversation.item.retrieve`.
 * Pinned by test/infrastructure/openai-realtime/sdk-contract.test.ts.
 */
export const SDK_HISTORY_EVENT_TYPES: ReadonlySet<string> = new Set([
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.retrieved',
  'conversation.item.deleted',
  'conversation.item.truncated',
  'conversation.item.input_audio_transcription.completed',
  'response.output_item.added',
  'response.output_item.done',
]);

/** Every type the transport may route past the SDK (the parsed event decides: `routesPastSdk`). */
export const SDK_ROUTED_EVENT_TYPES: ReadonlySet<string> = new Set([...SDK_INERT_EVENT_TYPES, ...SDK_HISTORY_EVENT_TYPES]);

/** Item events routed only for these item types (the SDK's history is their one consumer). */
const HISTORY_ONLY_ITEM_EVENTS: ReadonlySet<string> = new Set([
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.retrieved',
  'response.output_item.added',
  'response.output_item.done',
]);

/** True when the SDK would do nothing with `event` that the project relies on (see the two lists above). */
export function routesPastSdk(event: { readonly type: string; readonly [key: string]: unknown }): boolean {
  if (SDK_INERT_EVENT_TYPES.has(event.type)) return true;
  if (!SDK_HISTORY_EVENT_TYPES.has(event.type)) return false;
  if (!HISTORY_ONLY_ITEM_EVENTS.has(event.type)) return true;
  const item = event.item;
  return typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'message';
}

/** Receives each decoded output-audio delta (PCM16 at the format's rate) with the conversation item it belongs to. */
export type TransportAudioSink = (itemId: string, responseId: string, pcm: Int16Array) => void;

/** `OpenAIRealtimeWebSocket` without automatic interruption or tracing updates, with item-tagged audio. */
export class ControlledRealtimeTransport extends OpenAIRealtimeWebSocket {
  private audioSink: TransportAudioSink | undefined;
  private socket: RealtimeWebSocket | undefined;
  private readonly audioFormat: RealtimeAudioFormatName;

  /** `audioFormat` is the wire format the session's `session.update`s ask for, both ways. */
  constructor(
    audioFormat: RealtimeAudioFormatName,
    options: Omit<OpenAIRealtimeWebSocketOptions, 'createWebSocket' | 'skipOpenEventListeners'> = {},
  ) {
    const opened: { transport?: ControlledRealtimeTransport } = {};
    super({
      ...options,
      // Called by connect(), after the constructor has returned, so `opened.transport` is set by then.
      createWebSocket: async ({ url, apiKey }) => (opened.transport as ControlledRealtimeTransport).openSocket(url, apiKey),
    });
    opened.transport = this;
    this.audioFormat = audioFormat;
  }

  /** Sets where decoded audio goes (PCM16 at the format's rate with its item and response ids); undefined drops deltas. */
  setAudioSink(sink: TransportAudioSink | undefined): void {
    this.audioSink = sink;
  }

  /** Appends PCM16 (at the format's rate, encoded to the wire format) to the input buffer; false (nothing sent, nothing thrown) when the socket is not open. */
  appendAudio(pcm: Int16Array): boolean {
    return this.status === 'connected' && this.socket !== undefined && this.socket.appendAudio(pcm);
  }

  /** Disabled on purpose: barge-in is driven by the carrier's playback position, never by the SDK's clock. */
  override interrupt(): void {
    // Intentionally empty; see the file comment.
  }

  /** Disabled on purpose: every `session.update` must be a full snapshot carrying the audio formats. */
  protected override _updateTracingConfig(): void {
    // Intentionally empty; see the file comment.
  }

  /**
   * Refused: `RealtimeSession.updateHistory` diffs the new history against the session's local copy, which this
   * transport does not keep (see the file comment), and would recreate every item. Throws always.
   */
  override resetHistory(): void {
    throw new Error('RealtimeSession.updateHistory is not supported: the controlled transport keeps no local conversation history');
  }

  /** Sends `conversation.item.truncate` for content part 0 (the only audio part of an assistant message). */
  truncateItem(itemId: string, audioEndMs: number): void {
    this.sendEvent({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: audioEndMs });
  }

  /**
   * Sends `response.cancel` through the SDK's response sequencer, which sends it only while a response it saw
   * created is not done and no cancel is pending.
   */
  cancelInFlight(): void {
    this._cancelResponse();
  }

  /** The SDK's default socket, as a `RealtimeWebSocket` whose deltas go to the sink. */
  private openSocket(url: string, apiKey: string): RealtimeWebSocket {
    const socket = new RealtimeWebSocket(url, { Authorization: `Bearer ${apiKey}`, ...this.getCommonRequestHeaders() }, this.audioFormat);
    socket.setOutputAudioHandler((itemId, responseId, pcm) => this.audioSink?.(itemId, responseId, pcm));
    socket.setRoutedEvents(
      SDK_ROUTED_EVENT_TYPES,
      (event) => {
        // The SDK ignores messages of a socket it has replaced or closed; so does the route.
        if (this.connectionState.websocket === socket) this.emit('*', event);
      },
      routesPastSdk,
    );
    this.socket = socket;
    return socket;
  }

  /** Destroys the socket at once, whatever its state (a connect past its deadline: the upgrade may never answer). */
  terminateSocket(): void {
    this.socket?.terminate();
  }

  /** True while the socket is open; appends are dropped (not thrown) otherwise. */
  get isOpen(): boolean {
    return this.status === 'connected';
  }
}
