/**
 * The fake server's audio in the session's wire format. Its scripts and clocks work in PCM16 24 kHz samples (the
 * `FAKE_SAMPLES_PER_MS` unit), so `audio_start_ms`, item lengths and usage mean the same in every format; only the
 * bytes on the wire change: `audio/pcm` is PCM16 LE at 24 kHz, `audio/pcmu` G.711 μ-law at 8 kHz (protocols.md).
 */
import { muLawDecode, muLawEncode } from '../../src/audio/mulaw.js';
import { base64ToPcm, pcmToBase64 } from './script.js';

/** Samples at 24 kHz per μ-law sample at 8 kHz. */
const PCMU_RATIO = 3;

/** The wire format a session's `audio.input.format` / `audio.output.format` names. */
export type FakeWireFormat = 'pcm' | 'pcmu';

/** Reads a session format object (`{type:'audio/pcmu'}` or `{type:'audio/pcm', rate}`); anything else is PCM. */
export function wireFormatOf(format: unknown): FakeWireFormat {
  return (format as { type?: unknown } | undefined)?.type === 'audio/pcmu' ? 'pcmu' : 'pcm';
}

/**
 * Decodes an append's base64 into 24 kHz samples: μ-law is decoded and each 8 kHz sample held for three 24 kHz
 * samples (energy and timing are kept, which is all the fake's VAD and clocks look at).
 */
export function decodeAppendedAudio(format: FakeWireFormat, base64: string): Int16Array {
  if (format === 'pcm') return base64ToPcm(base64);
  const pcm8k = muLawDecode(Buffer.from(base64, 'base64'));
  const out = new Int16Array(pcm8k.length * PCMU_RATIO);
  for (let i = 0; i < out.length; i++) out[i] = pcm8k[Math.floor(i / PCMU_RATIO)] as number;
  return out;
}

/** Encodes 24 kHz samples for an audio delta: PCM16 as is, or every third sample (8 kHz) as μ-law. */
export function encodeDeltaAudio(format: FakeWireFormat, pcm24k: Int16Array): string {
  if (format === 'pcm') return pcmToBase64(pcm24k);
  const pcm8k = new Int16Array(Math.ceil(pcm24k.length / PCMU_RATIO));
  for (let i = 0; i < pcm8k.length; i++) pcm8k[i] = pcm24k[i * PCMU_RATIO] as number;
  return Buffer.from(muLawEncode(pcm8k)).toString('base64');
}
