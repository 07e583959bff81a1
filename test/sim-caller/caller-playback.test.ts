import { describe, expect, it } from 'vitest';
import { CallerPlayback } from '../../scripts/sim-caller/caller-playback.js';

const audio = (ms: number, byte = 0x10): Uint8Array => new Uint8Array(ms * 8).fill(byte);

describe('CallerPlayback', () => {
  it('plays audio back to back at 8 bytes per ms and makes a mark due when the audio before it ends', () => {
    const playback = new CallerPlayback();
    playback.pushAudio(audio(100), 1000);
    playback.pushAudio(audio(50), 1020);
    const mark = playback.pushMark('m', 1030);
    expect(mark.dueAtMs).toBe(1150);
    expect(playback.takeDueMarks(1149)).toEqual([]);
    expect(playback.nextDueMs()).toBe(1150);
    expect(playback.takeDueMarks(1200).map((m) => [m.name, m.echoedAtMs])).toEqual([['m', 1150]]);
    expect(playback.nextDueMs()).toBeUndefined();
    expect(playback.speechStretches()).toEqual([{ startMs: 1000, endMs: 1150 }]);
  });

  it('makes a mark sent with nothing queued due at once and starts later audio when it arrives', () => {
    const playback = new CallerPlayback();
    expect(playback.pushMark('first', 500).dueAtMs).toBe(500);
    playback.pushAudio(audio(20), 2000);
    expect(playback.queueEndMs).toBe(2020);
    expect(playback.segments[0]!.startMs).toBe(2000);
  });

  it('on clear keeps what played, drops the rest, and echoes pending marks in order', () => {
    const playback = new CallerPlayback();
    playback.pushAudio(audio(100), 0);
    playback.pushMark('a', 0);
    playback.pushAudio(audio(100), 0);
    playback.pushMark('b', 0);
    expect(playback.takeDueMarks(100).map((m) => m.name)).toEqual(['a']);
    const { flushedMarks, flushedMs } = playback.clear(130);
    expect(flushedMarks.map((m) => [m.name, m.echoedAtMs, m.flushed])).toEqual([['b', 130, true]]);
    expect(flushedMs).toBe(70);
    expect(playback.segments.map((s) => [s.startMs, s.endMs, s.bytes.length])).toEqual([
      [0, 100, 800],
      [100, 130, 240],
    ]);
    playback.pushAudio(audio(10), 140);
    expect(playback.segments.at(-1)?.startMs).toBe(140);
    expect(playback.receivedBytes).toBe(1680);
  });

  it('renders the heard bot side as one track with silence in the gaps', () => {
    const playback = new CallerPlayback();
    playback.pushAudio(audio(1, 0x01), 1);
    const track = playback.renderMuLaw(3);
    expect([...track]).toEqual([...new Uint8Array(8).fill(0xff), ...new Uint8Array(8).fill(0x01), ...new Uint8Array(8).fill(0xff)]);
  });
});
