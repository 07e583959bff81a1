/**
 * G.711 mu-law codec, bit-exact to the 16-bit "bias 0x84, clip 32635" model used by telephony code
 * (G.711 decision levels scaled by 4; a value exactly on a level goes to the larger magnitude, the same
 * for both signs; linear 0 encodes to 0xFF). Both directions are table lookups built once at module load,
 * so a 160-sample frame costs a fraction of a microsecond and nothing is allocated when `out` is given.
 */

/** Bias added to the magnitude before the segment search (G.711's 33, scaled by 4). */
const MULAW_BIAS = 0x84;
/** Largest magnitude that still fits the top segment once biased (32635 + 132 = 0x7fff). */
const MULAW_CLIP = 32635;

/** Encoder table indexed by the sample's 16-bit two's-complement pattern (`x & 0xffff`). */
const ENCODE_TABLE = buildEncodeTable();
/** Decoder table indexed by the wire byte. */
const DECODE_TABLE = buildDecodeTable();

function encodeSample(x: number): number {
  let sign = 0;
  let magnitude = x;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  if (magnitude > MULAW_CLIP) magnitude = MULAW_CLIP;
  const biased = magnitude + MULAW_BIAS;
  // The exponent is the position of the highest set bit above bit 7 (biased values are 0x84..0x7fff).
  const exponent = 31 - Math.clz32(biased) - 7;
  const mantissa = (biased >> (exponent + 3)) & 0x0f;
  // The wire carries the one's complement so that idle lines hold mostly ones.
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function decodeSample(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function buildEncodeTable(): Uint8Array {
  const table = new Uint8Array(65_536);
  for (let pattern = 0; pattern < 65_536; pattern++) {
    table[pattern] = encodeSample((pattern << 16) >> 16);
  }
  return table;
}

function buildDecodeTable(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decodeSample(code);
  return table;
}

/**
 * Encodes PCM16 samples to mu-law wire bytes; writes into `out` when it is large enough (returning `out` itself
 * or a view of its first `pcm.length` bytes) and allocates otherwise. The input is never modified.
 */
export function muLawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = out !== undefined && out.length >= n ? out : new Uint8Array(n);
  const table = ENCODE_TABLE;
  for (let i = 0; i < n; i++) dst[i] = table[(pcm[i] as number) & 0xffff] as number;
  return dst.length === n ? dst : dst.subarray(0, n);
}

/**
 * Decodes mu-law wire bytes to PCM16 samples; writes into `out` when it is large enough (returning `out` itself
 * or a view of its first `ulaw.length` samples) and allocates otherwise. The input is never modified.
 */
export function muLawDecode(ulaw: Uint8Array, out?: Int16Array): Int16Array {
  const n = ulaw.length;
  const dst = out !== undefined && out.length >= n ? out : new Int16Array(n);
  const table = DECODE_TABLE;
  for (let i = 0; i < n; i++) dst[i] = table[ulaw[i] as number] as number;
  return dst.length === n ? dst : dst.subarray(0, n);
}

/** Encodes one PCM16 sample (any number, clamped to the Int16 range first) to its mu-law wire byte. */
export function muLawEncodeSample(sample: number): number {
  const clamped = sample > 32767 ? 32767 : sample < -32768 ? -32768 : Math.round(sample);
  return ENCODE_TABLE[clamped & 0xffff] as number;
}

/** Decodes one mu-law wire byte (only its low 8 bits are used) to its PCM16 value. */
export function muLawDecodeSample(code: number): number {
  return DECODE_TABLE[code & 0xff] as number;
}
