import { describe, expect, it } from 'vitest';
import { createDownsampler24kTo8k, createUpsampler8kTo24k } from '../../src/audio/resampler.js';
import type { StreamResampler } from '../../src/audio/resampler.js';
import { createJsUpsampler8kTo24k } from '../../src/audio/upsampler.js';
import { createJsDownsampler24kTo8k } from '../../src/audio/downsampler.js';
import { REALTIME_FRAME_SAMPLES, TWILIO_FRAME_SAMPLES } from '../../src/audio/constants.js';

type Factory = () => StreamResampler;

// The default factories run the WebAssembly SIMD kernels on Node 20; the JS kernels are the fallback and must
// meet the same contract.
const DIRECTIONS: { label: string; create: Factory; inRate: number; outRate: number; frame: number }[] = [
  { label: '8k -> 24k', create: () => createUpsampler8kTo24k(), inRate: 8000, outRate: 24_000, frame: TWILIO_FRAME_SAMPLES },
  { label: '24k -> 8k', create: () => createDownsampler24kTo8k(), inRate: 24_000, outRate: 8000, frame: REALTIME_FRAME_SAMPLES },
  { label: '8k -> 24k (JS kernel)', create: createJsUpsampler8kTo24k, inRate: 8000, outRate: 24_000, frame: TWILIO_FRAME_SAMPLES },
  { label: '24k -> 8k (JS kernel)', create: createJsDownsampler24kTo8k, inRate: 24_000, outRate: 8000, frame: REALTIME_FRAME_SAMPLES },
];

/** Deterministic pseudo-random generator (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function noise(n: number, amplitude: number, seed = 1): Int16Array {
  const r = prng(seed);
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round((r() * 2 - 1) * amplitude);
  return x;
}

function sine(n: number, rate: number, hz: number, amplitude: number): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate + 0.3));
  return x;
}

/** Runs a fresh resampler over `input` cut into `chunks` and concatenates the (copied) outputs. */
function runChunked(create: Factory, input: Int16Array, chunks: number[], withOut: boolean): Int16Array {
  const resampler = create();
  const parts: Int16Array[] = [];
  let offset = 0;
  for (const size of chunks) {
    const piece = input.subarray(offset, offset + size);
    offset += piece.length;
    const out = withOut ? new Int16Array(resampler.maxOutputLength(piece.length)) : undefined;
    parts.push(resampler.process(piece, out).slice());
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const joined = new Int16Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  return joined;
}

/** Amplitude of the component at `hz` over x[start, start+len) by a Hann-windowed single-bin DFT. */
function toneAmplitude(x: Int16Array, rate: number, hz: number, start: number, len: number): number {
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let i = 0; i < len; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (len - 1));
    const v = (x[start + i] as number) * w;
    const phase = (2 * Math.PI * hz * (start + i)) / rate;
    re += v * Math.cos(phase);
    im -= v * Math.sin(phase);
    wsum += w;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

function framesOf(n: number, size: number): number[] {
  return Array.from({ length: Math.ceil(n / size) }, () => size);
}

function irregularChunks(n: number, seed: number): number[] {
  const r = prng(seed);
  const chunks: number[] = [];
  let sum = 0;
  while (sum < n) {
    const size = r() < 0.2 ? 1 : 1 + Math.floor(r() * 1500);
    chunks.push(size);
    sum += size;
  }
  return chunks;
}

describe.each(DIRECTIONS)('streaming resampler $label', ({ create, inRate, outRate, frame }) => {
  const ratio = outRate / inRate;

  it('reports its rates and a latency within 2.5 ms', () => {
    const r = create();
    expect([r.inputRateHz, r.outputRateHz]).toEqual([inRate, outRate]);
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.latencyMs).toBeLessThanOrEqual(2.5);
  });

  it('gives bit-identical output for 20 ms frames, irregular chunks and one whole-buffer call', () => {
    const input = noise(inRate * 2 + 7, 20_000, 5);
    const whole = runChunked(create, input, [input.length], false);
    expect(whole.length).toBe(Math.floor(input.length * ratio));
    expect(runChunked(create, input, framesOf(input.length, frame), false)).toEqual(whole);
    expect(runChunked(create, input, framesOf(input.length, frame), true)).toEqual(whole);
    expect(runChunked(create, input, irregularChunks(input.length, 9), false)).toEqual(whole);
    expect(runChunked(create, input, irregularChunks(input.length, 11), true)).toEqual(whole);
    expect(runChunked(create, input, framesOf(input.length, 1), false)).toEqual(whole);
  });

  it('returns exactly one frame per 20 ms frame and writes into the given out buffer', () => {
    const r = create();
    const out = new Int16Array(r.maxOutputLength(frame));
    for (let k = 0; k < 5; k++) {
      const y = r.process(noise(frame, 1000, k), out);
      expect(y.length).toBe(frame * ratio);
      expect(y.buffer).toBe(out.buffer);
    }
  });

  it('does not modify its input, even when it is a view at an odd byte offset', () => {
    const bytes = new Uint8Array(frame * 2 + 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 73) & 0xff;
    const copy = bytes.slice();
    const view = new Int16Array(bytes.buffer, 2, frame); // a Buffer-like view, not at the start
    create().process(view);
    expect(bytes).toEqual(copy);
  });

  it('has unity gain at DC', () => {
    const r = create();
    const y = r.process(new Int16Array(inRate).fill(10_000));
    const steady = y.subarray(y.length / 2);
    expect(Math.min(...steady)).toBe(10_000);
    expect(Math.max(...steady)).toBe(10_000);
  });

  it('turns a 1 kHz tone into a 1 kHz tone of the same amplitude and nothing else', () => {
    const y = create().process(sine(inRate, inRate, 1000, 16_000));
    const start = Math.floor(y.length / 4);
    const len = Math.floor(y.length / 2);
    expect(toneAmplitude(y, outRate, 1000, start, len)).toBeCloseTo(16_000, -0.5); // within ~1.6 (0.0001 dB)
    expect(toneAmplitude(y, outRate, 1100, start, len)).toBeLessThan(2);
    if (outRate > inRate) expect(toneAmplitude(y, outRate, 7000, start, len)).toBeLessThan(1); // image of 1 kHz
  });

  it('passes the telephone band flat and stops what lies beyond 4.6 kHz', () => {
    const bandFlat = [300, 2000, 3400].map((hz) => {
      const y = create().process(sine(inRate, inRate, hz, 10_000));
      return toneAmplitude(y, outRate, hz, Math.floor(y.length / 4), Math.floor(y.length / 2));
    });
    for (const a of bandFlat) expect(Math.abs(20 * Math.log10(a / 10_000))).toBeLessThan(0.01);
    if (outRate > inRate) {
      // Images of 3 kHz and 3.4 kHz sit at 5 kHz and 4.6 kHz after upsampling.
      for (const [hz, image] of [[3000, 5000], [3400, 4600]] as const) {
        const y = create().process(sine(inRate, inRate, hz, 30_000));
        const level = toneAmplitude(y, outRate, image, Math.floor(y.length / 4), Math.floor(y.length / 2));
        expect(20 * Math.log10(level / 30_000)).toBeLessThan(-80);
      }
    } else {
      // 5 kHz aliases to 3 kHz and 6 kHz to 2 kHz when decimated to 8 kHz.
      for (const [hz, alias] of [[5000, 3000], [6000, 2000], [4600, 3400]] as const) {
        const y = create().process(sine(inRate, inRate, hz, 30_000));
        const level = toneAmplitude(y, outRate, alias, Math.floor(y.length / 4), Math.floor(y.length / 2));
        expect(20 * Math.log10(level / 30_000)).toBeLessThan(-80);
      }
    }
  });

  it('clamps full-scale overshoot instead of wrapping, and never emits NaN', () => {
    const square = new Int16Array(inRate / 2);
    for (let i = 0; i < square.length; i++) square[i] = Math.floor(i / 7) % 2 === 0 ? 32767 : -32768;
    const y = create().process(square);
    let sawTop = false;
    let sawBottom = false;
    for (let i = 0; i < y.length; i++) {
      const v = y[i] as number;
      expect(Number.isNaN(v)).toBe(false);
      if (v === 32767) sawTop = true;
      if (v === -32768) sawBottom = true;
    }
    expect(sawTop && sawBottom).toBe(true);
    // A wrapped sample would jump by more than the largest step the band-limited square can take.
    let maxStep = 0;
    for (let i = 1; i < y.length; i++) maxStep = Math.max(maxStep, Math.abs((y[i] as number) - (y[i - 1] as number)));
    expect(maxStep).toBeLessThan(60_000);
  });

  it('flushes the delayed tail once, then starts a fresh stream', () => {
    const input = sine(frame * 3, inRate, 440, 12_000);
    const r = create();
    const head = r.process(input).slice();
    const tail = r.flush().slice();
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThanOrEqual(r.maxOutputLength(0));
    // The tail carries the end of the tone (delayed by the filter), not silence.
    expect(Math.max(...Array.from(tail, Math.abs))).toBeGreaterThan(1000);
    expect(r.flush().length).toBe(0);
    // After a flush the instance behaves as new.
    expect(r.process(input).slice()).toEqual(head);
    // The tail equals what feeding silence would have produced.
    const fresh = create();
    fresh.process(input);
    const silence = fresh.process(new Int16Array(frame * 2));
    expect(Array.from(tail)).toEqual(Array.from(silence.subarray(0, tail.length)));
  });

  it('covers the whole input time span once flushed', () => {
    const r = create();
    const input = noise(1001, 5000, 3);
    const total = r.process(input).length + r.flush().length;
    const delayOut = Math.round((r.latencyMs / 1000) * outRate);
    expect(total).toBeGreaterThanOrEqual(Math.floor(input.length * ratio) + delayOut);
    expect(total).toBeLessThanOrEqual(Math.ceil(input.length * ratio) + delayOut + 1);
  });

  it('reset forgets history', () => {
    const r = create();
    const first = r.process(noise(frame, 8000, 1)).slice();
    r.process(noise(frame, 8000, 2));
    r.reset();
    expect(r.process(noise(frame, 8000, 1)).slice()).toEqual(first);
  });
});

describe('upsampler 8k -> 24k', () => {
  it.each([
    ['SIMD', () => createUpsampler8kTo24k()],
    ['JS', createJsUpsampler8kTo24k],
  ])('passes every original sample through unchanged on one output phase, delayed by 59 output samples (%s)', (_, create) => {
    const input = noise(800, 30_000, 4);
    const y = create().process(input);
    for (let n = 0; n < 700; n++) expect(y[3 * n + 59]).toBe(input[n]);
  });
});
