/**
 * Streaming sample-rate conversion between Twilio's 8 kHz and the Realtime API's 24 kHz, PCM16 mono.
 * One instance per direction per call: each keeps the filter history that makes frame-by-frame output seamless.
 */
export type { StreamResampler } from './stream-resampler.js';
export { createUpsampler8kTo24k } from './upsampler.js';
export { createDownsampler24kTo8k } from './downsampler.js';
