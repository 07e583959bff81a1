import { describe, expect, it } from 'vitest';
import { decodeWireAudio, encodeWireAudioBase64 } from '../../src/audio/realtime-wire-codec.js';

describe('Realtime wire codec', () => {
  it('pcmu: decode then encode gives back every one of the 256 codes, except −0 (0x7f) which becomes +0 (0xff)', () => {
    const codes = new Uint8Array(256);
    for (let c = 0; c < 256; c++) codes[c] = c;
    const back = Buffer.from(encodeWireAudioBase64('pcmu', decodeWireAudio('pcmu', codes)), 'base64');
    expect(back.length).toBe(256);
    const changed: Array<[number, number]> = [];
    for (let c = 0; c < 256; c++) if (back[c] !== c) changed.push([c, back[c] as number]);
    expect(changed).toEqual([[0x7f, 0xff]]);
  });

  it('pcm16: the samples are the little-endian bytes, both ways; an odd trailing byte is dropped', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768]);
    const bytes = Buffer.from(encodeWireAudioBase64('pcm16', pcm), 'base64');
    expect([...bytes]).toEqual([0, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0x80]);
    expect([...decodeWireAudio('pcm16', bytes)]).toEqual([...pcm]);
    expect([...decodeWireAudio('pcm16', bytes.subarray(0, 3))]).toEqual([0]);
  });
});
