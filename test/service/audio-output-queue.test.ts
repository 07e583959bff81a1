import { describe, expect, it } from 'vitest';
import { AudioOutputQueue } from '../../src/service/audio-output-queue.js';

const chunk = (itemId: string, n: number) => ({ itemId, pcm: new Int16Array(n) });

describe('AudioOutputQueue', () => {
  it('yields pushed chunks in order, reports deliveries, and ends after end()', async () => {
    const delivered: string[] = [];
    const queue = new AudioOutputQueue((c) => delivered.push(`${c.itemId}:${c.pcm.length}`));
    queue.push(chunk('a', 1));
    const collected: string[] = [];
    const consumer = (async () => {
      for await (const c of queue) collected.push(c.itemId);
    })();
    await new Promise((r) => setImmediate(r));
    queue.push(chunk('b', 2));
    await new Promise((r) => setImmediate(r));
    queue.end();
    await consumer;
    expect(collected).toEqual(['a', 'b']);
    expect(delivered).toEqual(['a:1', 'b:2']);
  });

  it('purges buffered chunks and names their items once, in order', async () => {
    const delivered: string[] = [];
    const queue = new AudioOutputQueue((c) => delivered.push(c.itemId));
    queue.push(chunk('a', 1));
    queue.push(chunk('b', 1));
    queue.push(chunk('b', 1));
    expect(queue.purge()).toEqual(['a', 'b']);
    queue.end();
    const collected: string[] = [];
    for await (const c of queue) collected.push(c.itemId);
    expect(collected).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('never hands over a chunk that a purge in the same tick dropped (a delta and speech_started in one socket read)', async () => {
    const delivered: string[] = [];
    const queue = new AudioOutputQueue((c) => delivered.push(c.itemId));
    const collected: string[] = [];
    const consumer = (async () => {
      for await (const c of queue) collected.push(c.itemId);
    })();
    await new Promise((r) => setImmediate(r));
    queue.push(chunk('reply', 2400));
    expect(queue.purge()).toEqual(['reply']);
    await new Promise((r) => setImmediate(r));
    queue.push(chunk('next', 480));
    await new Promise((r) => setImmediate(r));
    queue.end();
    await consumer;
    expect(collected).toEqual(['next']);
    expect(delivered).toEqual(['next']);
  });
});
