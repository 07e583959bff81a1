/**
 * Identifies a load call inside its own audio. Neither bridge tells the Realtime server which Twilio call a session
 * belongs to, so the simulated caller's first `TAG_FRAMES` 20 ms frames carry the call's id as 16 polar bits (12-bit id and a
 * 4-bit check), 8 samples per bit at 8 kHz. The fake reads them back from the first append: exact μ-law bytes from
 * the official bridge (passthrough), or PCM16 24 kHz after our decoder and upsampler (bit centres shifted by the
 * filter's delay; a polar square wave at <= 500 Hz passes the 3.4 kHz low-pass with its signs intact).
 */
import { TWILIO_FRAME_SAMPLES } from '../../../src/audio/constants.js';
import { RESAMPLER_FILTER_DELAY_SAMPLES } from '../../../src/audio/fir-design.js';
import { muLawDecode, muLawEncode } from '../../../src/audio/mulaw.js';

/**
 * Frames at the start of every call that carry the tag (1 s). The official bridge drops caller audio that arrives
 * before its Realtime socket is open, so the tag is repeated long enough to outlast that; the fake aligns frame
 * numbers on the last tagged append (frame `TAG_FRAMES - 1`).
 */
export const TAG_FRAMES = 50;

/** Largest id a tag carries (12 bits). */
export const MAX_CALL_TAG = 0xfff;
const BITS = 16;
const SAMPLES_PER_BIT_8K = 8;
const TAG_AMPLITUDE = 10_000;
/** A bit's sign is trusted only when its mean magnitude is above this (a quarter of the amplitude). */
const MIN_BIT_MAGNITUDE = TAG_AMPLITUDE / 4;

function checkNibble(id: number): number {
  return (id ^ (id >> 4) ^ (id >> 8) ^ 0b1010) & 0xf;
}

/** μ-law bytes of the 20 ms frame that carries `id` (0..4095). */
export function encodeCallTag(id: number): Uint8Array {
  if (!Number.isInteger(id) || id < 0 || id > MAX_CALL_TAG) throw new RangeError(`call tag must be 0..${MAX_CALL_TAG}, got ${id}`);
  const word = (id << 4) | checkNibble(id);
  const pcm = new Int16Array(TWILIO_FRAME_SAMPLES);
  for (let bit = 0; bit < BITS; bit++) {
    const level = (word >> (BITS - 1 - bit)) & 1 ? TAG_AMPLITUDE : -TAG_AMPLITUDE;
    pcm.fill(level, bit * SAMPLES_PER_BIT_8K, (bit + 1) * SAMPLES_PER_BIT_8K);
  }
  return muLawEncode(pcm);
}

function readWord(samples: Int16Array, samplesPerBit: number, offset: number): number | undefined {
  let word = 0;
  const half = Math.max(1, Math.floor(samplesPerBit / 4));
  for (let bit = 0; bit < BITS; bit++) {
    const centre = offset + bit * samplesPerBit + Math.floor(samplesPerBit / 2);
    let sum = 0;
    for (let i = centre - half; i < centre + half; i++) sum += samples[i] ?? 0;
    const mean = sum / (2 * half);
    if (Math.abs(mean) < MIN_BIT_MAGNITUDE) return undefined;
    word = (word << 1) | (mean > 0 ? 1 : 0);
  }
  return word;
}

function checked(word: number | undefined): number | undefined {
  if (word === undefined) return undefined;
  const id = word >> 4;
  return (word & 0xf) === checkNibble(id) ? id : undefined;
}

/** Reads the id from a first append of μ-law 8 kHz bytes (the official bridge's passthrough). */
export function decodeCallTagMuLaw(bytes: Uint8Array): number | undefined {
  if (bytes.length < BITS * SAMPLES_PER_BIT_8K) return undefined;
  return checked(readWord(muLawDecode(bytes), SAMPLES_PER_BIT_8K, 0));
}

/** Reads the id from a first append of PCM16 24 kHz (our bridge: decoded and upsampled with the filter's delay). */
export function decodeCallTagPcm24k(samples: Int16Array): number | undefined {
  const perBit = SAMPLES_PER_BIT_8K * 3;
  if (samples.length < RESAMPLER_FILTER_DELAY_SAMPLES + BITS * perBit) return undefined;
  return checked(readWord(samples, perBit, RESAMPLER_FILTER_DELAY_SAMPLES));
}
