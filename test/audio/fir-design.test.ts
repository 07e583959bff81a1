import { describe, expect, it } from 'vitest';
import {
  RESAMPLER_FILTER_DELAY_SAMPLES,
  RESAMPLER_FILTER_TAPS,
  designNyquistLowpass,
  symmetricFirGain,
} from '../../src/audio/fir-design.js';

const db = (gain: number): number => 20 * Math.log10(Math.abs(gain));

describe('designNyquistLowpass', () => {
  const h = designNyquistLowpass();

  it('is a symmetric third-band filter: centre exactly 1/3, every third tap from it exactly 0', () => {
    expect(h.length).toBe(RESAMPLER_FILTER_TAPS);
    const c = RESAMPLER_FILTER_DELAY_SAMPLES;
    expect(h[c]).toBe(1 / 3);
    for (let m = 1; m <= c; m++) {
      expect(h[c + m]).toBe(h[c - m]);
      if (m % 3 === 0) expect(h[c + m]).toBe(0);
      else expect(h[c + m]).not.toBe(0);
    }
  });

  it('has unity gain at DC', () => {
    let sum = 0;
    for (const v of h) sum += v;
    expect(sum).toBeCloseTo(1, 14);
  });

  it('is flat to 3.4 kHz and at least 90 dB down from 4.6 to 12 kHz (at 24 kHz)', () => {
    let passMin = Infinity;
    let passMax = -Infinity;
    for (let f = 0; f <= 3400; f += 50) {
      const g = symmetricFirGain(h, f, 24_000);
      passMin = Math.min(passMin, g);
      passMax = Math.max(passMax, g);
    }
    expect(db(passMax) - db(passMin)).toBeLessThan(0.001);
    let stopMax = 0;
    for (let f = 4600; f <= 12_000; f += 10) stopMax = Math.max(stopMax, Math.abs(symmetricFirGain(h, f, 24_000)));
    expect(db(stopMax)).toBeLessThan(-90);
    expect(db(symmetricFirGain(h, 4000, 24_000))).toBeCloseTo(db(0.5), 1); // a Nyquist filter crosses -6 dB at fs/6
  });

  it('rejects an even tap count', () => {
    expect(() => designNyquistLowpass(118)).toThrow(/odd integer/);
  });
});
