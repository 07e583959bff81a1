import { describe, expect, it } from 'vitest';
import { muLawDecode, muLawDecodeSample, muLawEncode, muLawEncodeSample } from '../../src/audio/mulaw.js';
import { MULAW_SILENCE } from '../../src/audio/constants.js';

/**
 * Independent model of G.711 mu-law (16-bit scaling), written from the standard's segment table rather than
 * from the codec's bit tricks: 8 segments of 16 steps, step 8 << segment in the biased domain, the decoded value
 * is the middle of its interval, and an input exactly on an interval's lower edge belongs to that interval.
 */
const MODEL_LEVELS: { lower: number; upper: number; value: number; code: number }[] = [];
for (let segment = 0; segment < 8; segment++) {
  for (let step = 0; step < 16; step++) {
    const width = 8 << segment;
    const lower = (16 + step) * width - 132; // unbiased lower edge (segment 0 starts below zero)
    MODEL_LEVELS.push({ lower, upper: lower + width, value: lower + width / 2, code: segment * 16 + step });
  }
}

function modelEncode(x: number): number {
  const negative = x < 0;
  const magnitude = Math.min(Math.abs(x), 32635);
  const level = MODEL_LEVELS.find((l) => magnitude >= l.lower && magnitude < l.upper);
  if (level === undefined) throw new Error(`model has no level for ${magnitude}`);
  return 0xff - ((negative ? 0x80 : 0) + level.code);
}

function modelDecode(code: number): number {
  const inverted = 0xff - code;
  const level = MODEL_LEVELS[inverted & 0x7f];
  if (level === undefined) throw new Error('unreachable: 7-bit index');
  return inverted & 0x80 ? 0 - level.value || 0 : level.value;
}

function allInt16(): Int16Array {
  const all = new Int16Array(65_536);
  for (let i = 0; i < all.length; i++) all[i] = i - 32_768;
  return all;
}

describe('muLawEncode', () => {
  it('matches the independent G.711 model on all 65,536 inputs', () => {
    const encoded = muLawEncode(allInt16());
    let mismatches = 0;
    for (let i = 0; i < 65_536; i++) if (encoded[i] !== modelEncode(i - 32_768)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('encodes the house-style known answers', () => {
    const encoded = muLawEncode(Int16Array.from([0, 32767, -32768, -1, 1, 32635, -32635, 3, 4, -4, -5]));
    expect(Array.from(encoded)).toEqual([0xff, 0x80, 0x00, 0x7f, 0xff, 0x80, 0x00, 0xff, 0xfe, 0x7e, 0x7e]);
    expect(encoded[0]).toBe(MULAW_SILENCE);
  });

  it('writes into out, returns a view of the used length, and leaves the input untouched', () => {
    const backing = new Int16Array(400);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 977) % 65_536;
    const copy = backing.slice();
    const view = backing.subarray(37, 197); // odd element offset into a shared buffer
    const out = new Uint8Array(300).fill(0x55);
    const result = muLawEncode(view, out);
    expect(result.buffer).toBe(out.buffer);
    expect(result.length).toBe(160);
    expect(Array.from(result)).toEqual(Array.from(muLawEncode(view.slice())));
    expect(out[160]).toBe(0x55);
    expect(backing).toEqual(copy);
    expect(muLawEncode(view, new Uint8Array(160)).length).toBe(160);
  });

  it('allocates when out is too small instead of truncating', () => {
    const result = muLawEncode(new Int16Array(10), new Uint8Array(4));
    expect(result.length).toBe(10);
  });

  it('encodes single samples with clamping and rounding', () => {
    expect(muLawEncodeSample(0)).toBe(0xff);
    expect(muLawEncodeSample(1e9)).toBe(0x80);
    expect(muLawEncodeSample(-1e9)).toBe(0x00);
    expect(muLawEncodeSample(3.6)).toBe(modelEncode(4));
  });
});

describe('muLawDecode', () => {
  it('matches the independent G.711 model on all 256 codes', () => {
    const codes = new Uint8Array(256);
    for (let i = 0; i < 256; i++) codes[i] = i;
    const decoded = muLawDecode(codes);
    for (let c = 0; c < 256; c++) expect(decoded[c], `code ${c}`).toBe(modelDecode(c));
  });

  it('decodes the house-style known answers', () => {
    expect(Array.from(muLawDecode(Uint8Array.from([0x00, 0x80, 0xff, 0x7f, 0xfe])))).toEqual([-32124, 32124, 0, 0, 8]);
    expect(muLawDecodeSample(0x00)).toBe(-32124);
    expect(muLawDecodeSample(0x1ff)).toBe(0);
  });

  it('round-trips every code through decode then encode', () => {
    const codes = new Uint8Array(256);
    for (let i = 0; i < 256; i++) codes[i] = i;
    const back = muLawEncode(muLawDecode(codes));
    let same = 0;
    // 0x7f is negative zero; G.711 encodes linear 0 as positive zero (0xff).
    for (let c = 0; c < 256; c++) if (back[c] === c || (c === 0x7f && back[c] === 0xff)) same++;
    expect(same).toBe(256);
    let exact = 0;
    for (let c = 0; c < 256; c++) if (back[c] === c) exact++;
    expect(exact).toBe(255);
  });

  it('writes into out at any offset and leaves the input untouched', () => {
    const bytes = new Uint8Array(401);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const copy = bytes.slice();
    const view = bytes.subarray(1, 161);
    const out = new Int16Array(200);
    const result = muLawDecode(view, out);
    expect(result.buffer).toBe(out.buffer);
    expect(Array.from(result)).toEqual(Array.from(muLawDecode(view.slice())));
    expect(bytes).toEqual(copy);
  });
});
