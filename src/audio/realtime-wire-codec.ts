/**
 * PCM16 (the service's samples) to and from the bytes of the Realtime API wire, per format: `pcmu` is one μ-law
 * byte per 8 kHz sample (G.711 decode∘encode is the identity on every code except −0 → +0, so nothing is lost on a
 * call that arrived as μ-law); `pcm16` is the samples' little-endian bytes at 24 kHz.
 */
import type { RealtimeAudioFormatName } from './audio-format.js';
import { muLawDecode, muLawEncode } from './mulaw.js';

/** The wire bytes of `pcm` in `format`, as base64 (what `input_audio_buffer.append.audio` carries). */
export function encodeWireAudioBase64(format: RealtimeAudioFormatName, pcm: Int16Array): string {
  if (format === 'pcmu') {
    const bytes = Buffer.allocUnsafe(pcm.length);
    muLawEncode(pcm, bytes);
    return bytes.toString('base64');
  }
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
}

/** The service's PCM16 of wire `bytes` in `format` (a `pcm16` trailing odd byte is dropped). */
export function decodeWireAudio(format: RealtimeAudioFormatName, bytes: Uint8Array): Int16Array {
  if (format === 'pcmu') return muLawDecode(bytes);
  const samples = bytes.byteLength >> 1;
  // Buffer.from allocates from an 8-byte-aligned pool or a fresh ArrayBuffer, so the view is aligned; copy if not.
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, samples);
  const copy = new Int16Array(samples);
  new Uint8Array(copy.buffer).set(bytes.subarray(0, samples * 2));
  return copy;
}
