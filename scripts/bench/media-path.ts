/**
 * Media-path section of `npm run bench`: CPU cost per 20 ms frame of the production codec and resamplers, and of
 * the whole per-frame bridge step in each direction with the JSON and base64 framing of the two sockets.
 *
 * IN  (Twilio -> OpenAI): JSON.parse of a Twilio `media` message, base64 into a preallocated aligned buffer,
 *     mu-law decode, 8k -> 24k upsample, base64 of the PCM16, JSON.stringify of `input_audio_buffer.append`.
 * OUT (OpenAI -> Twilio): JSON.parse of `response.output_audio.delta`, base64 into a preallocated aligned buffer,
 *     24k -> 8k downsample, mu-law encode, base64, JSON.stringify of a Twilio `media` message.
 * All output buffers are allocated once, as the call path does (see oracle finding 3 on allocation and alignment).
 */
import { REALTIME_FRAME_SAMPLES, REALTIME_SAMPLE_RATE_HZ, TWILIO_FRAME_SAMPLES, TWILIO_SAMPLE_RATE_HZ, FRAME_MS } from '../../src/audio/constants.js';
import { muLawDecode, muLawEncode } from '../../src/audio/mulaw.js';
import { createDownsampler24kTo8k, createUpsampler8kTo24k } from '../../src/audio/resampler.js';
import { measureCpu } from './measure.js';
import type { CpuTiming } from './measure.js';
import type { BenchRow, BenchSection } from './section.js';

/** Distinct frames cycled through, so the timing does not ride on one cached input. */
const DISTINCT_FRAMES = 500;
/** Largest payload the preallocated decode buffers accept, in bytes. */
const SCRATCH_BYTES = 8192;
const STREAM_SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';

/** Voiced-speech-like test signal: a gliding 100-250 Hz pitch with 12 harmonics, a syllable envelope and noise. */
function speechLike(sampleRateHz: number, seconds: number): Int16Array {
  const n = Math.round(sampleRateHz * seconds);
  const out = new Int16Array(n);
  let phase = 0;
  let seed = 12_345;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRateHz;
    const f0 = 175 + 75 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / sampleRateHz;
    let v = 0;
    for (let k = 1; k <= 12 && k * f0 < 3400; k++) v += Math.sin(k * phase) / k;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 3.1 * t);
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const noise = (seed / 4_294_967_296 - 0.5) * 0.05;
    out[i] = Math.round(9000 * envelope * (v + noise));
  }
  return out;
}

function frames<T extends Int16Array>(signal: T, size: number): Int16Array[] {
  return Array.from({ length: DISTINCT_FRAMES }, (_, i) => {
    const start = (i * size) % (signal.length - size);
    return signal.slice(start, start + size);
  });
}

function toBase64(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

function row(name: string, timing: CpuTiming): BenchRow {
  return { name, medianUs: timing.medianUs, p99Us: timing.p99Us, xRealtime: (FRAME_MS * 1000) / timing.medianUs, frames: timing.calls };
}

/** Runs the media-path measurements and returns them as a bench section. */
export function runMediaPathBench(): BenchSection {
  const pcm8Frames = frames(speechLike(TWILIO_SAMPLE_RATE_HZ, 10), TWILIO_FRAME_SAMPLES);
  const pcm24Frames = frames(speechLike(REALTIME_SAMPLE_RATE_HZ, 10), REALTIME_FRAME_SAMPLES);
  const ulawFrames = pcm8Frames.map((f) => muLawEncode(f));
  const twilioMessages = ulawFrames.map((u, i) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: String(i + 3),
      media: { track: 'inbound', chunk: String(i + 2), timestamp: String(52 + i * FRAME_MS), payload: toBase64(u) },
      streamSid: STREAM_SID,
    }),
  );
  const deltaEvents = pcm24Frames.map((p, i) =>
    JSON.stringify({
      type: 'response.output_audio.delta',
      event_id: `event_${1000 + i}`,
      response_id: 'resp_C9x1',
      item_id: 'item_C9x2',
      output_index: 0,
      content_index: 0,
      delta: toBase64(p),
    }),
  );

  // Preallocated, aligned buffers: Buffer.alloc gives a fresh ArrayBuffer at byteOffset 0.
  const ulawIn = Buffer.alloc(SCRATCH_BYTES);
  const pcmInBytes = Buffer.alloc(SCRATCH_BYTES);
  const pcmIn = new Int16Array(pcmInBytes.buffer, pcmInBytes.byteOffset, SCRATCH_BYTES / 2);
  const pcm8 = new Int16Array(SCRATCH_BYTES);
  const ulawOut = new Uint8Array(SCRATCH_BYTES);
  const up = createUpsampler8kTo24k();
  const down = createDownsampler24kTo8k();
  const pcm24 = new Int16Array(up.maxOutputLength(SCRATCH_BYTES));
  let sink = 0;
  const pick = <T>(list: readonly T[], i: number): T => list[i % DISTINCT_FRAMES] as T;

  const encode = measureCpu((i) => {
    sink += muLawEncode(pick(pcm8Frames, i), ulawOut)[7] as number;
  });
  const decode = measureCpu((i) => {
    sink += muLawDecode(pick(ulawFrames, i), pcm8)[7] as number;
  });
  const upsample = measureCpu((i) => {
    sink += up.process(pick(pcm8Frames, i), pcm24).length;
  });
  const downsample = measureCpu((i) => {
    sink += down.process(pick(pcm24Frames, i), pcm8).length;
  });

  const bridgeUp = createUpsampler8kTo24k();
  const bridgeDown = createDownsampler24kTo8k();
  const bridgeIn = measureCpu((i) => {
    const message = JSON.parse(pick(twilioMessages, i)) as { media: { payload: string } };
    const length = ulawIn.write(message.media.payload, 0, 'base64');
    const pcm = bridgeUp.process(muLawDecode(ulawIn.subarray(0, length), pcm8), pcm24);
    sink += JSON.stringify({ type: 'input_audio_buffer.append', audio: toBase64(pcm) }).length;
  });
  const bridgeOut = measureCpu((i) => {
    const event = JSON.parse(pick(deltaEvents, i)) as { delta: string };
    const length = pcmInBytes.write(event.delta, 0, 'base64');
    const ulaw = muLawEncode(bridgeDown.process(pcmIn.subarray(0, length >> 1), pcm8), ulawOut);
    sink += JSON.stringify({ event: 'media', streamSid: STREAM_SID, media: { payload: toBase64(ulaw) } }).length;
  });

  // The framing alone (same JSON and base64 work, precomputed audio) shows what the DSP adds on top.
  const fixedPcm24 = pick(pcm24Frames, 0);
  const fixedUlaw = pick(ulawFrames, 0);
  const framingIn = measureCpu((i) => {
    const message = JSON.parse(pick(twilioMessages, i)) as { media: { payload: string } };
    sink += ulawIn.write(message.media.payload, 0, 'base64');
    sink += JSON.stringify({ type: 'input_audio_buffer.append', audio: toBase64(fixedPcm24) }).length;
  });
  const framingOut = measureCpu((i) => {
    const event = JSON.parse(pick(deltaEvents, i)) as { delta: string };
    sink += pcmInBytes.write(event.delta, 0, 'base64');
    sink += JSON.stringify({ event: 'media', streamSid: STREAM_SID, media: { payload: toBase64(fixedUlaw) } }).length;
  });
  if (sink === Number.MIN_SAFE_INTEGER) console.log('unreachable sink', sink); // keeps the work observable to the JIT

  const both = bridgeIn.medianUs + bridgeOut.medianUs;
  return {
    title: 'Media path: CPU µs per 20 ms frame (process.cpuUsage, batches of 200 frames; median and p99 over 200 batches)',
    rows: [
      row('mu-law encode 160', encode),
      row('mu-law decode 160', decode),
      row('upsample 8k->24k 160->480', upsample),
      row('downsample 24k->8k 480->160', downsample),
      row('bridge IN  (JSON+b64+decode+up+b64+JSON)', bridgeIn),
      row('bridge OUT (JSON+b64+down+encode+b64+JSON)', bridgeOut),
      row('framing only IN  (JSON+b64, no DSP)', framingIn),
      row('framing only OUT (JSON+b64, no DSP)', framingOut),
    ],
    notes: [
      `whole bridge per frame, IN + OUT: ${both.toFixed(1)} µs median (target <= 20 µs) = ${(both / (FRAME_MS * 10)).toFixed(3)}% of a core per call, about ${Math.floor((FRAME_MS * 1000) / both)} calls per core for the media transform alone (no WebSocket I/O or TLS)`,
      `resampler latency: up ${up.latencyMs.toFixed(2)} ms, down ${down.latencyMs.toFixed(2)} ms`,
    ],
  };
}
