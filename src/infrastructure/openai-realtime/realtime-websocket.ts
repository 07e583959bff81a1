/**
 * The Realtime API socket, with a fast path for output audio in both directions.
 *
 * Why: the SDK handles every server message by JSON-parsing it and validating it with zod twice (once in
 * `_onMessage`, once in the transport's own listener), structured-cloning it for its `*` event, and decoding the
 * base64 audio with `atob` and a byte loop. `response.output_audio.delta` is most of the messages and nearly all
 * of the bytes, and none of that work is needed for it: under load it was 7.5 % of the server's CPU (profile in
 * BENCHMARKS.md). This socket takes a well-formed delta out of the `message` event before any listener sees it,
 * decodes the audio natively (`Buffer` base64) and hands the PCM to one handler. Every other message, and a delta
 * that does not have the expected shape, reaches the SDK untouched (the SDK then drops a malformed delta).
 *
 * The same holds for the other events the SDK does nothing with but hand to its `*` listeners (the transport names
 * them, see `SDK_INERT_EVENT_TYPES`): each is parsed once and handed to the routed-event handler, instead of two
 * JSON parses, two zod parses and a `structuredClone` in the SDK. The type is read from the first `"type":"` in the
 * text without parsing, and confirmed on the parsed object; anything else goes to the SDK as it came.
 *
 * Appends go out the same way: one string, built without `JSON.stringify` (base64 needs no escaping).
 *
 * permessage-deflate is off: `ws` offers it by default, and compressing base64 audio costs far more CPU than the
 * bytes it saves on a call's bandwidth.
 */
import WebSocket from 'ws';
import type { RealtimeAudioFormatName } from '../../audio/audio-format.js';
import { decodeWireAudio, encodeWireAudioBase64 } from '../../audio/realtime-wire-codec.js';

/** Receives each output-audio delta's PCM16 (mono, at the format's rate) with the item and response it belongs to. */
export type OutputAudioHandler = (itemId: string, responseId: string, pcm: Int16Array) => void;

/** Receives each routed server event, parsed once (a plain JSON object whose `type` is one of the routed types). */
export type RoutedEventHandler = (event: RoutedServerEvent) => void;

/** Decides, on the parsed event, whether an event of a routed type is routed (true) or left to the listeners. */
export type RoutedEventFilter = (event: RoutedServerEvent) => boolean;

/** A server event as its wire JSON (snake_case), as the SDK hands it to `*` listeners. */
export interface RoutedServerEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** The quoted event type: a message that does not contain it is not a delta, without parsing it. */
const DELTA_TYPE = 'response.output_audio.delta';
const DELTA_MARKER = Buffer.from(`"${DELTA_TYPE}"`);
/** The Realtime API writes compact JSON with `type` as the first key; another spelling just goes to the SDK. */
const TYPE_KEY = Buffer.from('"type":"');
const QUOTE = 0x22;
/** Longest event type read from the text (longer ones are no routed type). */
const MAX_TYPE_LENGTH = 64;
const APPEND_PREFIX = '{"type":"input_audio_buffer.append","audio":"';
const APPEND_SUFFIX = '"}';

/** A `ws` client socket that routes output-audio deltas past the SDK (see the file comment). */
export class RealtimeWebSocket extends WebSocket {
  #onOutputAudio: OutputAudioHandler | undefined;
  #onRoutedEvent: RoutedEventHandler | undefined;
  #routedTypes: ReadonlySet<string> = new Set();
  #routes: RoutedEventFilter = routeAll;
  /** The session's wire audio format both ways (what its `session.update`s ask for). */
  readonly audioFormat: RealtimeAudioFormatName;

  constructor(url: string, headers: Readonly<Record<string, string>>, audioFormat: RealtimeAudioFormatName) {
    super(url, { headers: { ...headers }, perMessageDeflate: false });
    this.audioFormat = audioFormat;
  }

  /** Sets where deltas go; without a handler every message goes to the SDK as usual. */
  setOutputAudioHandler(handler: OutputAudioHandler | undefined): void {
    this.#onOutputAudio = handler;
  }

  /**
   * Sets which event types go to `handler` instead of the message listeners (parsed once; see the file comment);
   * undefined (or an empty set) routes none. `filter`, when given, is asked on the parsed event of a routed type:
   * false leaves that event to the listeners as it came (they parse it again).
   */
  setRoutedEvents(types: ReadonlySet<string>, handler: RoutedEventHandler | undefined, filter: RoutedEventFilter = routeAll): void {
    this.#routedTypes = types;
    this.#onRoutedEvent = handler;
    this.#routes = filter;
  }

  /**
   * Sends one `input_audio_buffer.append` with the PCM16 (mono, at the format's rate) encoded in the wire format. Returns false (nothing sent) when
   * the socket is not open; empty audio needs no append and counts as sent.
   */
  appendAudio(pcm: Int16Array): boolean {
    if (this.readyState !== WebSocket.OPEN) return false;
    if (pcm.length > 0) this.send(formatAppendMessage(pcm, this.audioFormat));
    return true;
  }

  /**
   * `ws` delivers every received message through `emit('message', data, isBinary)`; deltas stop here, in a text or a
   * binary frame alike (the SDK parses both, so a binary delta left to it would bypass the handler).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && Buffer.isBuffer(args[0]) && (this.#onOutputAudio !== undefined || this.#onRoutedEvent !== undefined)) {
      if (this.#route(args[0])) return true;
    }
    return super.emit(event, ...args);
  }

  /** Handles a delta or a routed event here; false leaves the message to the listeners, untouched. */
  #route(data: Buffer): boolean {
    const onAudio = this.#onOutputAudio;
    const onRouted = this.#onRoutedEvent;
    let parsed: RoutedServerEvent | undefined;
    if (onAudio !== undefined && data.includes(DELTA_MARKER)) {
      parsed = parseEventObject(data);
      const delta = parsed && outputAudioDeltaOf(parsed, this.audioFormat);
      if (delta !== undefined) {
        onAudio(delta.itemId, delta.responseId, delta.pcm);
        return true;
      }
      // Another event that quotes the delta's type (a transcript, a malformed delta): already parsed.
      if (parsed !== undefined && onRouted !== undefined && this.#routedTypes.has(parsed.type) && this.#routes(parsed)) {
        onRouted(parsed);
        return true;
      }
      return false;
    }
    if (onRouted === undefined) return false;
    const type = peekEventType(data);
    if (type === undefined || !this.#routedTypes.has(type)) return false;
    parsed = parseEventObject(data);
    // The first `"type"` in the text may not be the event's own: the parsed object decides.
    if (parsed === undefined || parsed.type !== type || !this.#routes(parsed)) return false;
    onRouted(parsed);
    return true;
  }
}

function routeAll(): boolean {
  return true;
}

/** One `response.output_audio.delta`, decoded. */
export interface OutputAudioDelta {
  readonly itemId: string;
  readonly responseId: string;
  /** PCM16 mono at the format's rate (8 kHz for `pcmu`, 24 kHz for `pcm16`). */
  readonly pcm: Int16Array;
}

/** `input_audio_buffer.append` of PCM16 mono in wire `format` (μ-law bytes or PCM16 LE), as the exact JSON text sent. */
export function formatAppendMessage(pcm: Int16Array, format: RealtimeAudioFormatName): string {
  return APPEND_PREFIX + encodeWireAudioBase64(format, pcm) + APPEND_SUFFIX;
}

/** The delta a received text frame carries; undefined when it is anything else or malformed (left to the SDK). */
export function parseOutputAudioDelta(data: Buffer, format: RealtimeAudioFormatName): OutputAudioDelta | undefined {
  if (!data.includes(DELTA_MARKER)) return undefined;
  const event = parseEventObject(data);
  return event && outputAudioDeltaOf(event, format);
}

function outputAudioDeltaOf(event: RoutedServerEvent, format: RealtimeAudioFormatName): OutputAudioDelta | undefined {
  const { type, item_id: itemId, response_id: responseId, delta } = event;
  if (type !== DELTA_TYPE || typeof itemId !== 'string' || typeof responseId !== 'string' || typeof delta !== 'string') {
    return undefined;
  }
  return { itemId, responseId, pcm: decodeWireAudio(format, Buffer.from(delta, 'base64')) };
}

/** The JSON object a frame holds when it has a string `type` (what the SDK's generic event schema asks); else undefined. */
export function parseEventObject(data: Buffer): RoutedServerEvent | undefined {
  let event: unknown;
  try {
    event = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  return typeof (event as { type?: unknown }).type === 'string' ? (event as RoutedServerEvent) : undefined;
}

/** The value after the first `"type":"` in the text, without parsing it (a hint: the parsed object confirms it). */
export function peekEventType(data: Buffer): string | undefined {
  const at = data.indexOf(TYPE_KEY);
  if (at < 0) return undefined;
  const start = at + TYPE_KEY.length;
  const end = data.indexOf(QUOTE, start);
  if (end < 0 || end - start > MAX_TYPE_LENGTH) return undefined;
  return data.toString('latin1', start, end);
}

/** Base64 PCM16 little-endian to samples; a trailing odd byte is dropped (an Int16Array cannot hold it). */
export function decodePcm16(base64: string): Int16Array {
  return decodeWireAudio('pcm16', Buffer.from(base64, 'base64'));
}
