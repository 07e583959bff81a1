import { describe, expect, it } from 'vitest';
import { planTruncations } from '../../src/service/barge-in.js';

const received = (table: Record<string, number>) => (id: string) => table[id] ?? 0;

describe('planTruncations', () => {
  it('truncates the heard item at its played position and later queued items at 0', () => {
    const plan = planTruncations({
      cleared: [
        { itemId: 'a', generatedMs: 1200, playedMs: 830.6 },
        { itemId: 'b', generatedMs: 400, playedMs: 0 },
      ],
      others: [],
      receivedMs: received({ a: 1200, b: 400 }),
      deliveredMs: received({ a: 1200, b: 400 }),
    });
    expect(plan).toEqual([
      { itemId: 'a', audioEndMs: 830 },
      { itemId: 'b', audioEndMs: 0 },
    ]);
  });

  it('never truncates past what the client received for the item', () => {
    const plan = planTruncations({
      cleared: [{ itemId: 'a', generatedMs: 900, playedMs: 900 }],
      others: [],
      receivedMs: received({ a: 640 }),
      deliveredMs: received({ a: 640 }),
    });
    expect(plan).toEqual([{ itemId: 'a', audioEndMs: 640 }]);
  });

  it('truncates unsent or still-generating items at what reached the carrier, once each', () => {
    const plan = planTruncations({
      cleared: [{ itemId: 'b', generatedMs: 500, playedMs: 120 }],
      others: ['a', 'b', 'c'],
      receivedMs: received({ a: 2000, b: 500, c: 300 }),
      deliveredMs: received({ a: 1500, b: 500 }),
    });
    expect(plan).toEqual([
      { itemId: 'b', audioEndMs: 120 },
      { itemId: 'a', audioEndMs: 1500 },
      { itemId: 'c', audioEndMs: 0 },
    ]);
  });
});
