/**
 * What a fake Realtime conversation says: the transcript the "transcriber" reports for each detected caller turn
 * and the response the "model" gives, plus the audio helpers scripts use. Plain data, no test-runner imports, so
 * the offline demo and benchmarks can build scripts too.
 */

/** PCM16 samples per millisecond at the Realtime rate (24 kHz). */
export const FAKE_SAMPLES_PER_MS = 24;

/** A function call the model makes instead of speaking; `followUp` answers the `response.create` after its output. */
export interface FakeToolCallScript {
  readonly name: string;
  /** Arguments as the model would stream them (JSON text), or an object that is serialized. */
  readonly arguments: string | Readonly<Record<string, unknown>>;
  readonly followUp: FakeResponseScript;
}

/** One model response: spoken audio with its transcript, or a tool call. */
export interface FakeResponseScript {
  /** Assistant transcript, streamed word by word alongside the audio. */
  readonly transcript?: string;
  /** Exact PCM16 24 kHz audio to stream; when absent, a tone of `durationMs`. */
  readonly audio?: Int16Array;
  /** Length of the generated tone when `audio` is absent (default 1000 ms). */
  readonly durationMs?: number;
  readonly toolCall?: FakeToolCallScript;
  /** Overrides the server's `firstAudioDelayMs` for this response. */
  readonly firstAudioDelayMs?: number;
  /**
   * Fault injection: `stall` sends `response.created` and then nothing for this response (it stays active until
   * cancelled); `fail` sends `response.created`, an `error` and `response.done` with status `failed`.
   */
  readonly fault?: 'stall' | 'fail';
}

/** One caller turn: what the transcriber hears and how the model answers. */
export interface FakeTurnScript {
  readonly userTranscript: string;
  readonly reply: FakeResponseScript;
  /** Overrides the server's `transcriptDelayMs` for this turn. */
  readonly transcriptDelayMs?: number;
  /** Overrides the server's `firstAudioDelayMs` for this turn's reply. */
  readonly firstAudioDelayMs?: number;
}

/** A whole scripted conversation; each connection starts from its beginning. */
export interface FakeScript {
  /** Answers a `response.create` that comes before any caller turn (the bot speaks first). */
  readonly greeting?: FakeResponseScript;
  /** Consumed in order, one per detected speech segment, manual commit or user text message. */
  readonly turns?: readonly FakeTurnScript[];
  /** Used once the turns run out (unless `loop`). */
  readonly fallbackReply?: FakeResponseScript;
  /**
   * Start the turns again after the last (the offline demo's softphone mode). A turn whose `userTranscript` is empty
   * is then reported as `(speech, 1.4 s)`: the length the energy detector heard.
   */
  readonly loop?: boolean;
  /** Answers a typed user message (a DTMF notice); defaults to `fallbackReply`. Typed messages use no turn. */
  readonly textReply?: FakeResponseScript;
}

/** A sine tone in PCM16 24 kHz: the stand-in for model speech and for a speaking caller. */
export function tone(durationMs: number, frequencyHz = 440, amplitude = 8_000): Int16Array {
  const samples = new Int16Array(Math.round(durationMs * FAKE_SAMPLES_PER_MS));
  const step = (2 * Math.PI * frequencyHz) / (FAKE_SAMPLES_PER_MS * 1000);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin(step * i));
  return samples;
}

/** Digital silence in PCM16 24 kHz. */
export function silence(durationMs: number): Int16Array {
  return new Int16Array(Math.round(durationMs * FAKE_SAMPLES_PER_MS));
}

/** Concatenates PCM chunks. */
export function concatPcm(...parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Splits PCM into chunks of `chunkMs` (the last may be shorter), as a carrier or a model would send it. */
export function chunkPcm(pcm: Int16Array, chunkMs: number): Int16Array[] {
  const size = Math.max(1, Math.round(chunkMs * FAKE_SAMPLES_PER_MS));
  const chunks: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += size) chunks.push(pcm.subarray(i, Math.min(i + size, pcm.length)));
  return chunks;
}

/** PCM16 little-endian bytes of a sample array, base64 encoded (the wire form of Realtime audio). */
export function pcmToBase64(pcm: Int16Array): string {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
}

/** Decodes base64 PCM16 little-endian into samples (a trailing odd byte is ignored). */
export function base64ToPcm(base64: string): Int16Array {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new Int16Array(bytes.byteLength >> 1);
  new Uint8Array(copy.buffer).set(bytes.subarray(0, copy.byteLength));
  return copy;
}
