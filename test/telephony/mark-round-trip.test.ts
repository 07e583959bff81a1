import { describe, expect, it } from 'vitest';
import { MarkRoundTrip } from '../../src/telephony/mark-round-trip.js';

describe('MarkRoundTrip', () => {
  it('pairs echoes with sends in FIFO order', () => {
    const marks = new MarkRoundTrip();
    marks.sent(100);
    marks.sent(180);
    marks.sent(260);
    expect(marks.echoed(230)).toBe(130);
    expect(marks.echoed(300)).toBe(120);
    expect(marks.outstanding).toBe(1);
    expect(marks.echoed(400)).toBe(140);
    expect(marks.outstanding).toBe(0);
  });

  it('reports nothing for an echo of no outstanding mark', () => {
    const marks = new MarkRoundTrip();
    expect(marks.echoed(10)).toBeUndefined();
    marks.sent(20);
    expect(marks.echoed(50)).toBe(30);
    expect(marks.echoed(60)).toBeUndefined();
  });

  it('keeps pairing correctly past its compaction point', () => {
    const marks = new MarkRoundTrip();
    for (let i = 0; i < 3000; i += 1) marks.sent(i);
    for (let i = 0; i < 2999; i += 1) expect(marks.echoed(i + 80)).toBe(80);
    expect(marks.outstanding).toBe(1);
    expect(marks.echoed(5000)).toBe(5000 - 2999);
  });
});
