import { describe, expect, it, vi } from 'vitest';
import { pooledGetRandomValues, type GetRandomValues } from '../../../src/domain/worker/worker-runtime.js';

/** A deterministic "generator": byte k of its output stream is k & 0xff, so the test can see which bytes it got. */
function countingSource(): { source: GetRandomValues; calls: () => number } {
  let next = 0;
  let calls = 0;
  const source = vi.fn(<T extends ArrayBufferView | null>(array: T): T => {
    calls += 1;
    const view = new Uint8Array((array as ArrayBufferView).buffer, (array as ArrayBufferView).byteOffset, (array as ArrayBufferView).byteLength);
    for (let i = 0; i < view.length; i++) view[i] = next++ & 0xff;
    return array;
  }) as unknown as GetRandomValues;
  return { source, calls: () => calls };
}

describe('pooledGetRandomValues', () => {
  it('serves small requests from one pool fill, each byte of the source once, in order, into the array it was given', () => {
    const { source, calls } = countingSource();
    const get = pooledGetRandomValues(source);
    const first = new Uint8Array(16);
    expect(get(first)).toBe(first);
    const second = new Uint32Array(4);
    get(second);
    expect(Array.from(first)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(Array.from(new Uint8Array(second.buffer))).toEqual(Array.from({ length: 16 }, (_, i) => 16 + i));
    expect(calls()).toBe(1);
  });

  it('refills when the pool runs out, never handing out a byte twice', () => {
    const { source, calls } = countingSource();
    const get = pooledGetRandomValues(source);
    const seen: number[] = [];
    for (let i = 0; i < 300; i++) seen.push(...get(new Uint8Array(16)));
    // 300 × 16 bytes = 4800: the first 4096 from one fill, the rest from a second; the stream is the source's.
    expect(calls()).toBe(2);
    expect(seen).toEqual(Array.from({ length: 4800 }, (_, i) => i & 0xff));
  });

  it('writes into a view at an offset without touching the rest of its buffer', () => {
    const { source } = countingSource();
    const get = pooledGetRandomValues(source);
    const buffer = new Uint8Array(8).fill(0xee);
    get(buffer.subarray(2, 5));
    expect(Array.from(buffer)).toEqual([0xee, 0xee, 0, 1, 2, 0xee, 0xee, 0xee]);
  });

  it('leaves large and non-integer requests to the real function, with its errors', () => {
    const get = pooledGetRandomValues(crypto.getRandomValues.bind(crypto));
    const large = new Uint8Array(1024);
    expect(get(large)).toBe(large);
    expect(large.some((byte) => byte !== 0)).toBe(true);
    expect(() => get(new Float32Array(4) as unknown as Uint8Array)).toThrow();
    expect(() => get(new Uint8Array(65_537))).toThrow();
  });

  it('returns different bytes on every call with the real generator', () => {
    const get = pooledGetRandomValues(crypto.getRandomValues.bind(crypto));
    const ids = new Set(Array.from({ length: 1000 }, () => Buffer.from(get(new Uint8Array(16))).toString('hex')));
    expect(ids.size).toBe(1000);
  });
});
