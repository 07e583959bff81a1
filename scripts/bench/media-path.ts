/**
 * Media-path section of `npm run bench`: CPU cost per 20 ms frame of the production codec and resamplers, and of
 * the whole per-frame bridge step in each direction with the JSON and base64 framing of the two sockets, through
 * the production functions the call path runs (only the socket writes themselves are left out):
 *
 * IN  (Twilio -> OpenAI): `parseTwilioMessage` of a Twilio `media` text frame, `InboundAudioDecoder.decode`
 *     (base64 into its preallocated buffer, mu-law decode, 8k -> 24k upsample), `formatAppendMessage` (base64 of the
 *     PCM16 inside the `input_audio_buffer.append` JSON).
 * OUT (OpenAI -> Twilio): `parseOutputAudioDelta` of the received frame (a Buffer, as `ws` hands it over: UTF-8
 *     decode, JSON.parse, base64 decode), `OutboundAudioEncoder.write` (24k -> 8k downsample, mu-law encode, 80 ms
 *     chunks) and, per chunk, the Twilio `media` and `mark` JSON (one chunk every four frames, as on a call).
 * The same two steps in `pcmu` mode (REALTIME_AUDIO_FORMAT's default): μ-law decode to 8 kHz PCM, no resampling,
 * μ-law encode of the append; μ-law deltas decoded to 8 kHz PCM and re-encoded for Twilio.
 */
import { REALTIME_FRAME_SAMPLES, REALTIME_SAMPLE_RATE_HZ, TWILIO_FRAME_SAMPLES, TWILIO_SAMPLE_RATE_HZ, FRAME_MS } from '../../src/audio/constants.js';
import { muLawDecode, muLawEncode } from '../../src/audio/mulaw.js';
import { createPassthroughResampler } from '../../src/audio/passthrough-resampler.js';
import { createDownsampler24kTo8k, createUpsampler8kTo24k } from '../../src/audio/resampler.js';
import { formatAppendMessage, parseOutputAudioDelta } from '../../src/infrastructure/openai-realtime/realtime-websocket.js';
import { InboundAudioDecoder } from '../../src/telephony/inbound-audio-decoder.js';
import { OUTBOUND_CHUNK_MS } from '../../src/telephony/media-transport.js';
import { OutboundAudioEncoder } from '../../src/telephony/outbound-audio-encoder.js';
import { formatMarkMessage, formatMediaMessage, parseTwilioMessage } from '../../src/telephony/twilio-serializer.js';
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

  const pcmuDeltaEvents = pcm8Frames.map((p, i) =>
    JSON.stringify({
      type: 'response.output_audio.delta',
      event_id: `event_${1000 + i}`,
      response_id: 'resp_C9x1',
      item_id: 'item_C9x2',
      output_index: 0,
      content_index: 0,
      delta: toBase64(muLawEncode(p)),
    }),
  );

  // Preallocated, aligned buffers: Buffer.alloc gives a fresh ArrayBuffer at byteOffset 0.
  const ulawIn = Buffer.alloc(SCRATCH_BYTES);
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

  // The call path's own objects, fed frame after frame as a call would (timestamps 20 ms apart: no gap filling).
  let inboundTimestampMs = 0;
  const decoder = new InboundAudioDecoder({
    upsampler: createUpsampler8kTo24k(),
    onPcm: (pcm) => {
      sink += formatAppendMessage(pcm, 'pcm16').length;
    },
  });
  let markSeq = 0;
  const encoder = new OutboundAudioEncoder({
    downsampler: createDownsampler24kTo8k(),
    chunkMs: OUTBOUND_CHUNK_MS,
    onChunk: (mulaw) => {
      const payload = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
      sink += formatMediaMessage(STREAM_SID, payload).length + formatMarkMessage(STREAM_SID, `g0:item_C9x2:${(markSeq += 80)}`).length;
    },
  });
  const deltaFrames = deltaEvents.map((text) => Buffer.from(text));
  const bridgeIn = measureCpu((i) => {
    const event = parseTwilioMessage(pick(twilioMessages, i));
    if (event?.type !== 'media') throw new Error('bench: a media frame did not parse');
    decoder.decode(event.payload, (inboundTimestampMs += FRAME_MS));
  });
  const bridgeOut = measureCpu((i) => {
    const delta = parseOutputAudioDelta(pick(deltaFrames, i), 'pcm16');
    if (delta === undefined) throw new Error('bench: a delta did not parse');
    encoder.write(delta.pcm);
  });

  // pcmu mode: the same objects with the pass-through converters the transport uses for it.
  let pcmuTimestampMs = 0;
  const pcmuDecoder = new InboundAudioDecoder({
    upsampler: createPassthroughResampler(TWILIO_SAMPLE_RATE_HZ),
    onPcm: (pcm) => {
      sink += formatAppendMessage(pcm, 'pcmu').length;
    },
  });
  const pcmuEncoder = new OutboundAudioEncoder({
    downsampler: createPassthroughResampler(TWILIO_SAMPLE_RATE_HZ),
    chunkMs: OUTBOUND_CHUNK_MS,
    onChunk: (mulaw) => {
      const payload = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
      sink += formatMediaMessage(STREAM_SID, payload).length + formatMarkMessage(STREAM_SID, `g0:item_C9x2:${(markSeq += 80)}`).length;
    },
  });
  const pcmuDeltaFrames = pcmuDeltaEvents.map((text) => Buffer.from(text));
  const pcmuIn = measureCpu((i) => {
    const event = parseTwilioMessage(pick(twilioMessages, i));
    if (event?.type !== 'media') throw new Error('bench: a media frame did not parse');
    pcmuDecoder.decode(event.payload, (pcmuTimestampMs += FRAME_MS));
  });
  const pcmuOut = measureCpu((i) => {
    const delta = parseOutputAudioDelta(pick(pcmuDeltaFrames, i), 'pcmu');
    if (delta === undefined) throw new Error('bench: a delta did not parse');
    pcmuEncoder.write(delta.pcm);
  });

  // The framing alone (the same parsing, base64 and JSON, precomputed audio) shows what the DSP adds on top.
  const fixedPcm24 = pick(pcm24Frames, 0);
  const fixedUlaw = pick(ulawFrames, 0);
  const framingIn = measureCpu((i) => {
    const event = parseTwilioMessage(pick(twilioMessages, i));
    if (event?.type !== 'media') throw new Error('bench: a media frame did not parse');
    sink += ulawIn.write(event.payload, 0, 'base64');
    sink += formatAppendMessage(fixedPcm24, 'pcm16').length;
  });
  const framingOut = measureCpu((i) => {
    const delta = parseOutputAudioDelta(pick(deltaFrames, i), 'pcm16');
    if (delta === undefined) throw new Error('bench: a delta did not parse');
    sink += delta.pcm.length;
    // A media + mark pair every fourth frame, as the 80 ms chunker sends them.
    if (i % 4 === 0) sink += formatMediaMessage(STREAM_SID, toBase64(fixedUlaw.subarray(0, 160))).length + formatMarkMessage(STREAM_SID, 'g0:item_C9x2:80').length;
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
      row('bridge IN  (parse+b64+decode+up+b64+JSON)', bridgeIn),
      row('bridge OUT (parse+b64+down+encode+b64+JSON)', bridgeOut),
      row('bridge IN  pcmu (parse+b64+decode+encode+b64+JSON)', pcmuIn),
      row('bridge OUT pcmu (parse+b64+decode+encode+b64+JSON)', pcmuOut),
      row('framing only IN  (JSON+b64, no DSP)', framingIn),
      row('framing only OUT (JSON+b64, no DSP)', framingOut),
    ],
    notes: [
      `whole bridge per frame, IN + OUT: ${both.toFixed(1)} µs median (target <= 20 µs) = ${(both / (FRAME_MS * 10)).toFixed(3)}% of a core per call, about ${Math.floor((FRAME_MS * 1000) / both)} calls per core for the media transform alone (no WebSocket I/O or TLS)`,
      `resampler latency: up ${up.latencyMs.toFixed(2)} ms, down ${down.latencyMs.toFixed(2)} ms`,
    ],
  };
}
