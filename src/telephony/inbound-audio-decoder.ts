/**
 * Inbound audio for one call: base64 μ-law 8 kHz frames → PCM16 8 kHz → the call's converter to the service's rate
 * (a pass-through when the Realtime wire is `pcmu`, the stateful 8k→24k upsampler when it is `pcm16`).
 * Gaps in Twilio's `media.timestamp` (lost or never-sent frames) are filled with silence, so the Realtime
 * model's audio clock (`audio_start_ms`, VAD) stays aligned with the call's. Buffers are allocated once.
 *
 * Filling is bounded by wall-clock time received: all audio produced (frames and filled silence) never runs ahead
 * of the time since the first frame by more than `GAP_FILL_SLACK_MS`. A real gap is time during which no frame
 * came, so it is covered; timestamps that jump ahead faster than the frames arrive (+1000 ms per 20 ms frame once
 * turned 9.8 s of caller audio into 491 s sent upstream and paid for) get nothing, and the refused silence is
 * counted (`unfilledMs`).
 */
import { performance } from 'node:perf_hooks';
import { MULAW_BYTES_PER_MS, PCM8K_SAMPLES_PER_MS, TWILIO_FRAME_SAMPLES } from '../audio/constants.js';
import { muLawDecode } from '../audio/mulaw.js';
import type { StreamResampler } from '../audio/stream-resampler.js';

/** Largest inbound frame accepted: Twilio sends 160-byte (20 ms) frames; 10x leaves room without trusting input. */
export const MAX_INBOUND_FRAME_BYTES = 1600;

/** A timestamp later than expected by more than this is a gap (Twilio's timestamps are exact 20 ms steps). */
export const TIMESTAMP_GAP_TOLERANCE_MS = 10;

/** Longest gap filled with silence; a longer one is an outage, and inventing more audio would only add delay. */
export const MAX_GAP_FILL_MS = 1000;

/** How far produced audio may run ahead of wall-clock time since the first frame (jitter, timer granularity). */
export const GAP_FILL_SLACK_MS = 200;

/** Silence is pushed in pieces of this many 8 kHz samples (100 ms) to keep the buffers small. */
const SILENCE_PIECE_SAMPLES = 5 * TWILIO_FRAME_SAMPLES;

/** What happened to one frame. */
export type FrameOutcome =
  /** `unfilledMs`: silence the gap asked for but not produced (over `MAX_GAP_FILL_MS` or ahead of the wall clock). */
  | { readonly kind: 'decoded'; readonly filledMs: number; readonly unfilledMs: number }
  | { readonly kind: 'too-large'; readonly bytes: number }
  | { readonly kind: 'empty' };

/** Options for `InboundAudioDecoder`. */
export interface InboundAudioDecoderOptions {
  /** This call's own converter from 8 kHz to the service's rate; never shared between calls. */
  readonly upsampler: StreamResampler;
  /** Receives each PCM16 piece at the service's rate; the array is reused after the callback returns. */
  readonly onPcm: (pcmOut: Int16Array) => void;
  /** Monotonic milliseconds (the call's clock); `performance.now` when absent. */
  readonly now?: () => number;
}

/** Decodes one call's inbound frames in order; not reentrant. */
export class InboundAudioDecoder {
  readonly #upsampler: StreamResampler;
  readonly #onPcm: (pcmOut: Int16Array) => void;
  readonly #bytes = Buffer.alloc(MAX_INBOUND_FRAME_BYTES);
  readonly #pcm8k = new Int16Array(MAX_INBOUND_FRAME_BYTES);
  readonly #pcmOut: Int16Array;
  readonly #silence8k = new Int16Array(SILENCE_PIECE_SAMPLES);
  readonly #now: () => number;
  #expectedTimestampMs: number | undefined;
  /** Wall-clock time of the first decoded frame. */
  #firstFrameAtMs: number | undefined;
  /** Audio produced so far (frames and filled silence). */
  #producedMs = 0;

  constructor(options: InboundAudioDecoderOptions) {
    this.#upsampler = options.upsampler;
    this.#onPcm = options.onPcm;
    this.#now = options.now ?? (() => performance.now());
    const longest = Math.max(MAX_INBOUND_FRAME_BYTES, SILENCE_PIECE_SAMPLES);
    this.#pcmOut = new Int16Array(this.#upsampler.maxOutputLength(longest));
  }

  /** Decodes one `media` payload stamped `timestampMs` (NaN when unknown) and forwards the PCM. */
  decode(payloadBase64: string, timestampMs: number): FrameOutcome {
    const estimated = Buffer.byteLength(payloadBase64, 'base64');
    if (estimated > MAX_INBOUND_FRAME_BYTES) return { kind: 'too-large', bytes: estimated };
    const length = this.#bytes.write(payloadBase64, 0, 'base64');
    if (length === 0) return { kind: 'empty' };
    const frameMs = length / MULAW_BYTES_PER_MS;
    this.#firstFrameAtMs ??= this.#now();
    const { filledMs, unfilledMs } = this.#fillGap(timestampMs, frameMs);
    this.#producedMs += frameMs;
    this.#expectedTimestampMs = Number.isFinite(timestampMs)
      ? timestampMs + frameMs
      : this.#expectedTimestampMs === undefined
        ? undefined
        : this.#expectedTimestampMs + frameMs;
    const pcm8k = muLawDecode(this.#bytes.subarray(0, length), this.#pcm8k);
    this.#onPcm(this.#upsampler.process(pcm8k, this.#pcmOut));
    return { kind: 'decoded', filledMs, unfilledMs };
  }

  /** Forgets the timestamp and filter history (a new stream on the same object). */
  reset(): void {
    this.#expectedTimestampMs = undefined;
    this.#firstFrameAtMs = undefined;
    this.#producedMs = 0;
    this.#upsampler.reset();
  }

  #fillGap(timestampMs: number, frameMs: number): { filledMs: number; unfilledMs: number } {
    if (this.#expectedTimestampMs === undefined || !Number.isFinite(timestampMs)) return { filledMs: 0, unfilledMs: 0 };
    const gapMs = timestampMs - this.#expectedTimestampMs;
    if (gapMs <= TIMESTAMP_GAP_TOLERANCE_MS) return { filledMs: 0, unfilledMs: 0 };
    // What the wall clock allows: time since the first frame, minus what was produced and this frame itself.
    const elapsedMs = this.#now() - (this.#firstFrameAtMs ?? this.#now());
    const budgetMs = Math.max(0, elapsedMs + GAP_FILL_SLACK_MS - this.#producedMs - frameMs);
    const fillMs = Math.floor(Math.min(gapMs, MAX_GAP_FILL_MS, budgetMs));
    this.#producedMs += fillMs;
    let remaining = Math.round(fillMs * PCM8K_SAMPLES_PER_MS);
    while (remaining > 0) {
      const piece = Math.min(remaining, SILENCE_PIECE_SAMPLES);
      this.#onPcm(this.#upsampler.process(this.#silence8k.subarray(0, piece), this.#pcmOut));
      remaining -= piece;
    }
    return { filledMs: fillMs, unfilledMs: gapMs - fillMs };
  }
}
