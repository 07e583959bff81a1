import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../src/rate-limited-log.js';
import { captureLogger, FakeClock } from './telephony/fakes.js';

describe('RateLimitedLog', () => {
  it('writes the first few lines of a kind in full, then one summary per interval with the count', () => {
    const clock = new FakeClock();
    const { logger, lines } = captureLogger('debug');
    const log = new RateLimitedLog({ logger, clock, burst: 3, summaryIntervalMs: 10_000 });
    for (let i = 0; i < 1_000; i++) {
      log.warn({ n: i }, 'bad frame');
      clock.advance(20);
    }
    // 1,000 frames over 20 s: 3 in full (the third at 40 ms), then a summary 10 s after it; flush writes the rest.
    expect(lines.map((l) => l.occurrences)).toEqual([1, 2, 3, 503]);
    expect(lines[3]).toMatchObject({ msg: 'bad frame', level: 40, suppressed: 500 });
    log.flush();
    expect(lines.map((l) => l.occurrences)).toEqual([1, 2, 3, 503, 1000]);
    expect(log.occurrences('bad frame')).toBe(1_000);
  });

  it('counts each kind on its own and flushes what is pending', () => {
    const clock = new FakeClock();
    const { logger, lines } = captureLogger('debug');
    const log = new RateLimitedLog({ logger, clock, burst: 1 });
    for (let i = 0; i < 50; i++) {
      log.warn({}, 'kind a');
      log.info({}, 'kind b');
    }
    expect(lines.map((l) => l.msg)).toEqual(['kind a', 'kind b']);
    log.flush();
    expect(lines.slice(2).map((l) => [l.msg, l.occurrences, l.suppressed, l.level])).toEqual([
      ['kind a', 50, 49, 40],
      ['kind b', 50, 49, 30],
    ]);
    log.flush();
    expect(lines).toHaveLength(4);
  });
});
