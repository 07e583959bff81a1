import { describe, expect, it } from 'vitest';
import { WavFormatError, readWav, writeWav } from '../../src/audio/wav.js';

/** Builds a RIFF/WAVE file from raw chunks, adding pad bytes after odd-sized chunks as the format requires. */
function riff(chunks: { id: string; body: Uint8Array; declaredSize?: number }[]): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  for (const c of chunks) {
    parts.push(...Array.from(c.id, (ch) => ch.charCodeAt(0)), ...u32(c.declaredSize ?? c.body.length), ...c.body);
    if (c.body.length % 2 === 1) parts.push(0);
  }
  return Uint8Array.from([...Array.from('RIFF', (ch) => ch.charCodeAt(0)), ...u32(parts.length + 4), ...Array.from('WAVE', (ch) => ch.charCodeAt(0)), ...parts]);
}

function fmtBody(tag: number, channels: number, rate: number, bits: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  const align = (channels * bits) / 8;
  v.setUint16(0, tag, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * align, true);
  v.setUint16(12, align, true);
  v.setUint16(14, bits, true);
  return b;
}

describe('writeWav / readWav', () => {
  it('round-trips PCM16 mono at 24 kHz with a canonical 44-byte header', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321]);
    const bytes = writeWav({ encoding: 'pcm16', sampleRateHz: 24_000, channels: 1, samples });
    expect(bytes.length).toBe(44 + 14);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF');
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(bytes.length - 8);
    expect(new DataView(bytes.buffer).getUint16(44 + 6, true)).toBe(32767); // little-endian sample 3
    const back = readWav(bytes);
    expect(back.encoding).toBe('pcm16');
    expect(back.sampleRateHz).toBe(24_000);
    expect(back.channels).toBe(1);
    expect(Array.from(back.samples)).toEqual(Array.from(samples));
  });

  it('round-trips mu-law at 8 kHz with a fact chunk and pads an odd data chunk', () => {
    const samples = Uint8Array.from([0xff, 0x00, 0x80, 0x7f, 0x12]);
    const bytes = writeWav({ encoding: 'mulaw', sampleRateHz: 8000, channels: 1, samples });
    expect(bytes.length % 2).toBe(0);
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text).toContain('fact');
    const fmt = new DataView(bytes.buffer, 12);
    expect([fmt.getUint32(4, true), fmt.getUint16(8, true), fmt.getUint16(22, true)]).toEqual([18, 7, 8]);
    const back = readWav(bytes);
    expect(back).toEqual({ encoding: 'mulaw', sampleRateHz: 8000, channels: 1, samples });
  });

  it('reads a hand-built header with LIST and odd-sized unknown chunks before the data', () => {
    const data = new Uint8Array(6);
    new DataView(data.buffer).setInt16(0, -2, true);
    new DataView(data.buffer).setInt16(2, 300, true);
    new DataView(data.buffer).setInt16(4, -32768, true);
    const file = riff([
      { id: 'LIST', body: new TextEncoder().encode('INFOISFT\u0005\u0000\u0000\u0000Lavf\u0000') }, // odd length 17
      { id: 'fmt ', body: fmtBody(1, 1, 16_000, 16) },
      { id: 'junk', body: Uint8Array.from([1, 2, 3]) },
      { id: 'data', body: data },
    ]);
    const wav = readWav(file);
    expect(wav).toEqual({ encoding: 'pcm16', sampleRateHz: 16_000, channels: 1, samples: Int16Array.from([-2, 300, -32768]) });
  });

  it('reads samples from a buffer view at an odd byte offset', () => {
    const file = writeWav({ encoding: 'pcm16', sampleRateHz: 8000, channels: 2, samples: Int16Array.from([1, 2, 3, 4]) });
    const backing = new Uint8Array(file.length + 1);
    backing.set(file, 1);
    const wav = readWav(backing.subarray(1));
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples)).toEqual([1, 2, 3, 4]);
  });

  it('keeps the whole samples of a cut-off recording whose data size is too large', () => {
    const file = riff([{ id: 'fmt ', body: fmtBody(1, 1, 8000, 16) }, { id: 'data', body: Uint8Array.from([1, 0, 2, 0, 3]), declaredSize: 1000 }]);
    expect(Array.from(readWav(file.subarray(0, file.length - 1)).samples)).toEqual([1, 2]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE headers by their sub-format', () => {
    const body = new Uint8Array(40);
    body.set(fmtBody(0xfffe, 1, 8000, 8));
    const v = new DataView(body.buffer);
    v.setUint16(16, 22, true);
    v.setUint16(24, 7, true); // sub-format GUID starts with the mu-law tag
    const wav = readWav(riff([{ id: 'fmt ', body }, { id: 'data', body: Uint8Array.from([0xff, 0x80]) }]));
    expect(wav.encoding).toBe('mulaw');
  });

  it.each([
    ['a short buffer', new Uint8Array(4), /too short/],
    ['a non-RIFF file', new TextEncoder().encode('RIFX\u0000\u0000\u0000\u0000WAVEfmt '), /not a RIFF file/],
    ['a RIFF file that is not WAVE', new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000AVI junk'), /expected "WAVE"/],
    ['a missing fmt chunk', riff([{ id: 'data', body: new Uint8Array(2) }]), /no fmt chunk/],
    ['a missing data chunk', riff([{ id: 'fmt ', body: fmtBody(1, 1, 8000, 16) }]), /no data chunk/],
    ['float samples', riff([{ id: 'fmt ', body: fmtBody(3, 1, 8000, 32) }, { id: 'data', body: new Uint8Array(4) }]), /unsupported WAV format 3/],
    ['8-bit PCM', riff([{ id: 'fmt ', body: fmtBody(1, 1, 8000, 8) }, { id: 'data', body: new Uint8Array(4) }]), /unsupported WAV format 1 with 8 bits/],
    ['a short fmt chunk', riff([{ id: 'fmt ', body: new Uint8Array(12) }, { id: 'data', body: new Uint8Array(4) }]), /fmt chunk is 12 bytes/],
    ['zero channels', riff([{ id: 'fmt ', body: fmtBody(1, 0, 8000, 16) }, { id: 'data', body: new Uint8Array(4) }]), /0 channels/],
    ['a chunk running past the end', riff([{ id: 'fmt ', body: fmtBody(1, 1, 8000, 16), declaredSize: 400 }]), /runs past the end/],
  ])('rejects %s with a readable error', (_label, bytes, message) => {
    expect(() => readWav(bytes)).toThrow(WavFormatError);
    expect(() => readWav(bytes)).toThrow(message);
  });

  it('refuses to write samples that do not fill whole frames', () => {
    expect(() => writeWav({ encoding: 'pcm16', sampleRateHz: 8000, channels: 2, samples: new Int16Array(3) })).toThrow(/whole frames/);
  });
});
