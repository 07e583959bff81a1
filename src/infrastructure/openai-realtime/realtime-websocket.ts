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

/** The quoted event type: a message that does not contain it is not a delta, without parsing it. */
const DELTA_TYPE = 'response.output_audio.delta';
const DELTA_MARKER = Buffer.from(`"${DELTA_TYPE}"`);
const APPEND_PREFIX = '{"type":"input_audio_buffer.append","audio":"';
const APPEND_SUFFIX = '"}';

/** A `ws` client socket that routes output-audio deltas past the SDK (see the file comment). */
export class RealtimeWebSocket extends WebSocket {
  #onOutputAudio: OutputAudioHandler | undefined;
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
    const handler = this.#onOutputAudio;
    if (event === 'message' && handler !== undefined && Buffer.isBuffer(args[0])) {
      const delta = parseOutputAudioDelta(args[0], this.audioFormat);
      if (delta !== undefined) {
        handler(delta.itemId, delta.responseId, delta.pcm);
        return true;
      }
    }
    return super.emit(event, ...args);
  }
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
  let event: unknown;
  try {
    event = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const { type, item_id: itemId, response_id: responseId, delta } = event as Record<string, unknown>;
  if (type !== DELTA_TYPE || typeof itemId !== 'string' || typeof responseId !== 'string' || typeof delta !== 'string') {
    return undefined;
  }
  return { itemId, responseId, pcm: decodeWireAudio(format, Buffer.from(delta, 'base64')) };
}

/** Base64 PCM16 little-endian to samples; a trailing odd byte is dropped (an Int16Array cannot hold it). */
export function decodePcm16(base64: string): Int16Array {
  return decodeWireAudio('pcm16', Buffer.from(base64, 'base64'));
}
