import { describe, expect, it } from 'vitest';
import { muLawDecode } from '../../src/audio/mulaw.js';
import { createUpsampler8kTo24k } from '../../src/audio/resampler.js';
import { decodeCallTagMuLaw, decodeCallTagPcm24k, encodeCallTag, MAX_CALL_TAG } from '../../scripts/bench/load/call-tag.js';

describe('call tag', () => {
  it('reads every id back from the passthrough μ-law frame', () => {
    for (let id = 0; id <= MAX_CALL_TAG; id += 7) expect(decodeCallTagMuLaw(encodeCallTag(id))).toBe(id);
  });

  it('reads ids back after the production decoder and 8k->24k upsampler', () => {
    for (const id of [0, 1, 2, 5, 170, 341, 1000, 2730, 4095]) {
      const pcm24k = createUpsampler8kTo24k().process(muLawDecode(encodeCallTag(id)));
      expect(decodeCallTagPcm24k(pcm24k)).toBe(id);
    }
  });

  it('rejects ordinary audio and silence', () => {
    const silence = new Uint8Array(160).fill(0xff);
    expect(decodeCallTagMuLaw(silence)).toBeUndefined();
    expect(decodeCallTagPcm24k(new Int16Array(480))).toBeUndefined();
    const tone = new Int16Array(480).map((_, i) => Math.round(9000 * Math.sin(i / 5)));
    expect(decodeCallTagPcm24k(tone)).toBeUndefined();
  });

  it('refuses ids that do not fit in 12 bits', () => {
    expect(() => encodeCallTag(MAX_CALL_TAG + 1)).toThrow(RangeError);
  });
});
