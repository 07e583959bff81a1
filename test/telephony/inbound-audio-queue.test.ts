import { describe, expect, it } from 'vitest';
import { InboundAudioQueue } from '../../src/telephony/inbound-audio-queue.js';

function chunk(value: number, length = 4): Int16Array {
  return new Int16Array(length).fill(value);
}

describe('InboundAudioQueue', () => {
  it('yields pushed chunks in order as copies', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 4, maxChunkSamples: 8 });
    const source = chunk(1);
    queue.push(source);
    source.fill(9);
    queue.push(chunk(2));
    queue.end();
    const seen: number[][] = [];
    for await (const pcm of queue) seen.push([...pcm]);
    expect(seen).toEqual([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
    ]);
  });

  it('resolves a waiting consumer when a chunk arrives', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 2, maxChunkSamples: 8 });
    const iterator = queue[Symbol.asyncIterator]();
    const next = iterator.next();
    queue.push(chunk(5, 2));
    expect(await next).toEqual({ done: false, value: new Int16Array([5, 5]) });
  });

  it('keeps a yielded chunk intact until the consumer asks for the next one', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 1, maxChunkSamples: 4 });
    const iterator = queue[Symbol.asyncIterator]();
    queue.push(chunk(1));
    const first = (await iterator.next()).value as Int16Array;
    queue.push(chunk(2));
    queue.push(chunk(3));
    expect([...first]).toEqual([1, 1, 1, 1]);
    expect([...((await iterator.next()).value as Int16Array)]).toEqual([3, 3, 3, 3]);
  });

  it('drops the oldest chunk when the consumer lags beyond capacity', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 2, maxChunkSamples: 4 });
    expect(queue.push(chunk(1))).toBe(0);
    expect(queue.push(chunk(2))).toBe(0);
    expect(queue.push(chunk(3))).toBe(1);
    expect(queue.droppedChunks).toBe(1);
    queue.end();
    const seen: number[] = [];
    for await (const pcm of queue) seen.push(pcm[0] as number);
    expect(seen).toEqual([2, 3]);
  });

  it('splits chunks longer than the slot size', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 4, maxChunkSamples: 3 });
    queue.push(new Int16Array([1, 2, 3, 4, 5]));
    queue.end();
    const seen: number[][] = [];
    for await (const pcm of queue) seen.push([...pcm]);
    expect(seen).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('ends a parked consumer when the stream ends', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 2, maxChunkSamples: 4 });
    const next = queue[Symbol.asyncIterator]().next();
    queue.end();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('ignores pushes after the end', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 2, maxChunkSamples: 4 });
    queue.end();
    queue.push(chunk(1));
    expect(queue.length).toBe(0);
  });

  it('allows a single consumer only', () => {
    const queue = new InboundAudioQueue({ capacityChunks: 2, maxChunkSamples: 4 });
    queue[Symbol.asyncIterator]();
    expect(() => queue[Symbol.asyncIterator]()).toThrow(/single consumer/);
  });

  it('joins chunks that wait together into one, up to mergeSamples, and keeps chunk boundaries otherwise', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 8, maxChunkSamples: 4, mergeSamples: 8 });
    for (const value of [1, 2, 3]) queue.push(chunk(value, 3));
    queue.end();
    const seen: number[][] = [];
    for await (const pcm of queue) seen.push([...pcm]);
    expect(seen).toEqual([
      [1, 1, 1, 2, 2, 2],
      [3, 3, 3],
    ]);
  });

  it('hands a parked consumer every frame pushed in the same task as one chunk, valid until the next request', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 8, maxChunkSamples: 4, mergeSamples: 16 });
    const iterator = queue[Symbol.asyncIterator]();
    const next = iterator.next();
    queue.push(chunk(1, 2)); // one socket read carrying three frames
    queue.push(chunk(2, 2));
    queue.push(chunk(3, 2));
    const first = (await next).value as Int16Array;
    expect([...first]).toEqual([1, 1, 2, 2, 3, 3]);
    queue.push(chunk(4, 2));
    queue.push(chunk(5, 2));
    expect([...first]).toEqual([1, 1, 2, 2, 3, 3]);
    expect([...((await iterator.next()).value as Int16Array)]).toEqual([4, 4, 5, 5]);
  });

  it('without mergeSamples yields every chunk on its own even when several wait', async () => {
    const queue = new InboundAudioQueue({ capacityChunks: 8, maxChunkSamples: 4 });
    const iterator = queue[Symbol.asyncIterator]();
    const next = iterator.next();
    queue.push(chunk(1, 2));
    queue.push(chunk(2, 2));
    expect([...((await next).value as Int16Array)]).toEqual([1, 1]);
    expect([...((await iterator.next()).value as Int16Array)]).toEqual([2, 2]);
  });
});
