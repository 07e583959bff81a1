/**
 * How much caller audio `input_audio_buffer.append` events carry, read as the real server would for the session's
 * wire format: one μ-law byte per 8 kHz sample (`pcmu`), two bytes per 24 kHz sample (`pcm16`).
 */
import { serviceSamplesPerMs, type RealtimeAudioFormatName } from '../../src/audio/audio-format.js';
import type { WireEvent } from '../../fakes/realtime-server.js';

/** Samples (at the format's rate) in one append's base64 `audio`. */
export function appendSamples(format: RealtimeAudioFormatName, base64: string): number {
  const bytes = Buffer.from(base64, 'base64').length;
  return format === 'pcmu' ? bytes : bytes / 2;
}

/** Total samples (at the format's rate) of `appends`. */
export function appendedSamples(format: RealtimeAudioFormatName, appends: readonly WireEvent[]): number {
  return appends.reduce((n, e) => n + appendSamples(format, String(e.audio)), 0);
}

/** Total milliseconds of audio in `appends`. */
export function appendedMs(format: RealtimeAudioFormatName, appends: readonly WireEvent[]): number {
  return appendedSamples(format, appends) / serviceSamplesPerMs(format);
}
