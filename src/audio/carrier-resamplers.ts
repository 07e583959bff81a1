/**
 * The pair of converters between the carrier's 8 kHz and the service's rate for one call: WebAssembly FIR
 * resamplers for `pcm16` (8k↔24k), pass-throughs for `pcmu` (the service already runs at 8 kHz).
 */
import type { RealtimeAudioFormatName } from './audio-format.js';
import { TWILIO_SAMPLE_RATE_HZ } from './constants.js';
import { createPassthroughResampler } from './passthrough-resampler.js';
import { createDownsampler24kTo8k, createUpsampler8kTo24k } from './resampler.js';
import type { StreamResampler } from './stream-resampler.js';

/** One call's converters: `upsampler` carrier → service, `downsampler` service → carrier. Never share between calls. */
export interface CarrierResamplers {
  readonly upsampler: StreamResampler;
  readonly downsampler: StreamResampler;
}

/** Fresh converters for one call in `format`. */
export function createCarrierResamplers(format: RealtimeAudioFormatName): CarrierResamplers {
  if (format === 'pcmu') {
    return { upsampler: createPassthroughResampler(TWILIO_SAMPLE_RATE_HZ), downsampler: createPassthroughResampler(TWILIO_SAMPLE_RATE_HZ) };
  }
  return { upsampler: createUpsampler8kTo24k(), downsampler: createDownsampler24kTo8k() };
}
