/**
 * The audio format on the Realtime API wire, and what it implies for every part of a call that reasons in time.
 *
 * `pcmu`: G.711 μ-law at 8 kHz both ways (`audio/pcmu`), the carrier's own format, so the service's PCM is 8 kHz and
 * no resampling happens anywhere (one byte per sample upstream: ~11 kB/s of base64 per call instead of ~64 kB/s).
 * `pcm16`: PCM16 little-endian at 24 kHz both ways (`audio/pcm`, rate 24 000, the only PCM rate the API takes), with
 * the WebAssembly resamplers between the carrier's 8 kHz and the service (a wideband carrier or a browser path).
 * Source of the wire facts: ../shared/docs/protocols.md (OpenAI GA session formats).
 */
import { REALTIME_SAMPLE_RATE_HZ, TWILIO_SAMPLE_RATE_HZ } from './constants.js';

/** The values `REALTIME_AUDIO_FORMAT` accepts. */
export const REALTIME_AUDIO_FORMATS = ['pcmu', 'pcm16'] as const;

/** Name of a Realtime wire audio format. */
export type RealtimeAudioFormatName = (typeof REALTIME_AUDIO_FORMATS)[number];

/** μ-law on the wire unless configured otherwise: a phone line is 8 kHz band-limited either way. */
export const DEFAULT_REALTIME_AUDIO_FORMAT: RealtimeAudioFormatName = 'pcmu';

/** Sample rate of `audio/pcm` on the Realtime API (24 kHz only). */
export const REALTIME_PCM16_SAMPLE_RATE_HZ = REALTIME_SAMPLE_RATE_HZ;

/** Sample rate of the PCM16 the service exchanges in `format` (the wire's rate), in hertz. */
export function serviceSampleRateHz(format: RealtimeAudioFormatName): number {
  return format === 'pcmu' ? TWILIO_SAMPLE_RATE_HZ : REALTIME_PCM16_SAMPLE_RATE_HZ;
}

/** PCM16 samples per millisecond of the service's audio in `format` (8 for `pcmu`, 24 for `pcm16`). */
export function serviceSamplesPerMs(format: RealtimeAudioFormatName): number {
  return serviceSampleRateHz(format) / 1000;
}
