/**
 * Adapter exposing the audio core through the interface of the shared audio-oracle harness
 * (`../shared/audio-oracle/README.md`), so the harness can measure this code beside sox and the npm candidates.
 */
import { muLawDecode as decode, muLawEncode as encode } from './mulaw.js';
import { createDownsampler24kTo8k, createUpsampler8kTo24k } from './resampler.js';

/** Resampler shape the harness drives: one continuous stream per instance. */
export interface OracleResampler {
  /** Converts the next chunk; the result may alias internal or `out` memory until the next call. */
  process(pcm: Int16Array, out?: Int16Array): Int16Array;
}

/** Label for the harness tables. */
export const name = 'voicebot src/audio (119-tap third-band)';

/** G.711 mu-law encoder under test. */
export function muLawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  return encode(pcm, out);
}

/** G.711 mu-law decoder under test. */
export function muLawDecode(ulaw: Uint8Array, out?: Int16Array): Int16Array {
  return decode(ulaw, out);
}

/** 8 kHz -> 24 kHz streaming upsampler under test. */
export function createUpsampler(): OracleResampler {
  return createUpsampler8kTo24k();
}

/** 24 kHz -> 8 kHz streaming downsampler under test. */
export function createDownsampler(): OracleResampler {
  return createDownsampler24kTo8k();
}
