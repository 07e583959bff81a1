import { describe, expect, it } from 'vitest';
import { PlaybackTracker } from '../../src/telephony/playback-tracker.js';

describe('PlaybackTracker', () => {
  it('reports nothing pending before any audio', () => {
    const tracker = new PlaybackTracker();
    expect(tracker.isAudible()).toBe(false);
    expect(tracker.pending(0)).toEqual([]);
  });

  it('interpolates the played position from the first send, capped at what was generated', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80, 1000);
    tracker.recordSent('a', 80, 1000);
    expect(tracker.pending(1050)).toEqual([{ itemId: 'a', generatedMs: 160, playedMs: 50 }]);
    expect(tracker.pending(5000)).toEqual([{ itemId: 'a', generatedMs: 160, playedMs: 160 }]);
  });

  it('moves the confirmed position to the echoed mark and interpolates from the echo', () => {
    const tracker = new PlaybackTracker();
    for (let i = 0; i < 4; i++) tracker.recordSent('a', 80, 1000);
    expect(tracker.recordEcho({ generation: 0, itemId: 'a', endMs: 160 }, 1300)).toBe('applied');
    expect(tracker.pending(1300)).toEqual([{ itemId: 'a', generatedMs: 320, playedMs: 160 }]);
    expect(tracker.pending(1340)).toEqual([{ itemId: 'a', generatedMs: 320, playedMs: 200 }]);
  });

  it('plays items FIFO: elapsed time finishes the older item before the newer one', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80, 0);
    tracker.recordSent('b', 160, 0);
    expect(tracker.pending(100)).toEqual([
      { itemId: 'a', generatedMs: 80, playedMs: 80 },
      { itemId: 'b', generatedMs: 160, playedMs: 20 },
    ]);
  });

  it('confirms older items when a newer item is echoed and drops fully played items', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80, 0);
    tracker.recordSent('b', 80, 0);
    tracker.recordSent('b', 80, 0);
    tracker.recordEcho({ generation: 0, itemId: 'b', endMs: 80 }, 170);
    expect(tracker.pending(170)).toEqual([{ itemId: 'b', generatedMs: 160, playedMs: 80 }]);
    tracker.recordEcho({ generation: 0, itemId: 'b', endMs: 160 }, 250);
    expect(tracker.isAudible()).toBe(false);
    expect(tracker.pending(400)).toEqual([]);
  });

  it('keeps counting an item that gets more audio after being fully played', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80, 0);
    tracker.recordEcho({ generation: 0, itemId: 'a', endMs: 80 }, 90);
    expect(tracker.recordSent('a', 80, 500)).toBe(160);
    expect(tracker.pending(540)).toEqual([{ itemId: 'a', generatedMs: 160, playedMs: 120 }]);
  });

  it('clear returns the states at that instant, bumps the generation and ignores older echoes', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80, 0);
    tracker.recordSent('a', 80, 0);
    tracker.recordEcho({ generation: 0, itemId: 'a', endMs: 80 }, 85);
    expect(tracker.clear(100)).toEqual([{ itemId: 'a', generatedMs: 160, playedMs: 95 }]);
    expect(tracker.generation).toBe(1);
    expect(tracker.recordEcho({ generation: 0, itemId: 'a', endMs: 160 }, 101)).toBe('stale');
    expect(tracker.pending(200)).toEqual([]);
    expect(tracker.isAudible()).toBe(false);
  });

  it('reports echoes of unknown items', () => {
    expect(new PlaybackTracker().recordEcho({ generation: 0, itemId: 'zz', endMs: 80 }, 0)).toBe('unknown');
  });

  it('floors fractional positions to whole milliseconds', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80.125, 0);
    expect(tracker.pending(0)).toEqual([{ itemId: 'a', generatedMs: 80, playedMs: 0 }]);
    tracker.recordEcho({ generation: 0, itemId: 'a', endMs: 80.125 }, 90);
    expect(tracker.isAudible()).toBe(false);
  });

  it('sums queued audio across items', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 80, 0);
    tracker.recordSent('b', 40, 0);
    tracker.recordEcho({ generation: 0, itemId: 'a', endMs: 40 }, 50);
    expect(tracker.queuedMs()).toBe(80);
  });

  it('remembers what marks confirmed per item, after the item played out and after a clear, and nothing else', () => {
    const tracker = new PlaybackTracker();
    tracker.recordSent('a', 160, 0);
    tracker.recordSent('b', 160, 0);
    expect(tracker.confirmedMs('a')).toBe(0);
    // Interpolation moves the played position, never the confirmed one.
    expect(tracker.pending(100)[0]?.playedMs).toBe(100);
    expect(tracker.confirmedMs('a')).toBe(0);
    tracker.recordEcho({ generation: 0, itemId: 'b', endMs: 80 }, 250);
    expect(tracker.confirmedMs('a')).toBe(160);
    expect(tracker.confirmedMs('b')).toBe(80);
    tracker.clear(260);
    expect(tracker.confirmedMs('a')).toBe(160);
    expect(tracker.confirmedMs('b')).toBe(80);
    expect(tracker.confirmedMs('never-sent')).toBe(0);
  });
});
