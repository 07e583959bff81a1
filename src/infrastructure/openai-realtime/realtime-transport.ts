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
 * Everything else (response and item lifecycle, errors, session updates, tool calls) still goes through the SDK,
 * which keeps its sequencer, history and usage state from them.
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
    socket.setRoutedEvents(SDK_INERT_EVENT_TYPES, (event) => {
      // The SDK ignores messages of a socket it has replaced or closed; so does the route.
      if (this.connectionState.websocket === socket) this.emit('*', event);
    });
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
