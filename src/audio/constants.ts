/**
 * Audio formats on the media path. Twilio Media Streams carry 8 kHz G.711 mu-law (one byte per sample);
 * the OpenAI Realtime API takes and returns 24 kHz PCM16 mono little-endian. Both sides exchange 20 ms frames.
 */

/** Sample rate of Twilio Media Streams audio (G.711 mu-law, mono), in hertz. */
export const TWILIO_SAMPLE_RATE_HZ = 8000;

/** Sample rate of OpenAI Realtime `audio/pcm` audio (PCM16 mono), in hertz. */
export const REALTIME_SAMPLE_RATE_HZ = 24_000;

/** Integer ratio between the Realtime and the Twilio sample rates (24 kHz / 8 kHz). */
export const RESAMPLE_FACTOR = REALTIME_SAMPLE_RATE_HZ / TWILIO_SAMPLE_RATE_HZ;

/** Duration of one media frame as Twilio sends it, in milliseconds. */
export const FRAME_MS = 20;

/** Mu-law bytes per millisecond at 8 kHz (one byte per sample). */
export const MULAW_BYTES_PER_MS = TWILIO_SAMPLE_RATE_HZ / 1000;

/** Samples per millisecond at 8 kHz. */
export const PCM8K_SAMPLES_PER_MS = TWILIO_SAMPLE_RATE_HZ / 1000;

/** Samples per millisecond at 24 kHz. */
export const PCM24K_SAMPLES_PER_MS = REALTIME_SAMPLE_RATE_HZ / 1000;

/** Bytes per PCM16 sample. */
export const PCM16_BYTES_PER_SAMPLE = 2;

/** Mu-law bytes in one 20 ms Twilio frame (also its sample count at 8 kHz). */
export const TWILIO_FRAME_BYTES = FRAME_MS * MULAW_BYTES_PER_MS;

/** Samples in one 20 ms frame at 8 kHz. */
export const TWILIO_FRAME_SAMPLES = FRAME_MS * PCM8K_SAMPLES_PER_MS;

/** Samples in one 20 ms frame at 24 kHz. */
export const REALTIME_FRAME_SAMPLES = FRAME_MS * PCM24K_SAMPLES_PER_MS;

/** Bytes of PCM16 in one 20 ms frame at 24 kHz. */
export const REALTIME_FRAME_BYTES = REALTIME_FRAME_SAMPLES * PCM16_BYTES_PER_SAMPLE;

/** The mu-law code for digital silence (linear 0), as sent on the wire. */
export const MULAW_SILENCE = 0xff;
