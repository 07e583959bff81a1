import { describe, expect, it } from 'vitest';
import { CallStatusVerifier, type CallStatusLookup } from '../../src/telephony/call-status-verifier.js';
import { captureLogger, FakeClock } from './fakes.js';

function counting(status: string): CallStatusLookup & { calls: number; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const lookup = {
    calls: 0,
    release: () => release(),
    async fetchStatus() {
      lookup.calls += 1;
      await gate;
      return status;
    },
  };
  return lookup;
}

describe('CallStatusVerifier', () => {
  it('shares one REST request between concurrent checks and caches the verdict for a minute', async () => {
    const clock = new FakeClock();
    const lookup = counting('in-progress');
    const verifier = new CallStatusVerifier({ lookup, clock, logger: captureLogger().logger });
    const both = Promise.all([verifier.verify('CA1'), verifier.verify('CA1')]);
    lookup.release();
    expect(await both).toEqual([
      { ok: true, reason: 'live', status: 'in-progress' },
      { ok: true, reason: 'live', status: 'in-progress' },
    ]);
    expect(await verifier.verify('CA1')).toMatchObject({ ok: true });
    expect(lookup.calls).toBe(1);
    clock.advance(60_000);
    await verifier.verify('CA1');
    expect(lookup.calls).toBe(2);
  });

  it('does not cache a failed check', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const verifier = new CallStatusVerifier({
      lookup: { fetchStatus: () => ((calls += 1), Promise.reject(new Error('ECONNRESET'))) },
      clock,
      logger: captureLogger().logger,
    });
    expect(await verifier.verify('CA1')).toEqual({ ok: true, reason: 'check-failed-answered' });
    expect(await verifier.verify('CA1')).toEqual({ ok: true, reason: 'check-failed-answered' });
    expect(calls).toBe(2);
  });
});
