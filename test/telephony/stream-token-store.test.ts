import { describe, expect, it } from 'vitest';
import { STREAM_TOKEN_BYTES, StreamTokenStore } from '../../src/telephony/stream-token-store.js';
import { FakeClock } from './fakes.js';

function store(clock = new FakeClock(), maxEntries?: number): StreamTokenStore {
  return new StreamTokenStore({ ttlMs: 30_000, clock, ...(maxEntries === undefined ? {} : { maxEntries }) });
}

describe('StreamTokenStore', () => {
  it('issues 32 random bytes as base64url', () => {
    const tokens = store();
    const token = tokens.issue('CA1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(STREAM_TOKEN_BYTES);
    expect(tokens.issue('CA2')).not.toBe(token);
  });

  it('accepts the right token once and refuses its replay', () => {
    const tokens = store();
    const token = tokens.issue('CA1');
    expect(tokens.consume('CA1', token)).toEqual({ ok: true });
    expect(tokens.consume('CA1', token)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('binds the token to its CallSid', () => {
    const tokens = store();
    const token = tokens.issue('CA1');
    tokens.issue('CA2');
    expect(tokens.consume('CA2', token)).toEqual({ ok: false, reason: 'mismatch' });
    expect(tokens.consume('CA1', token)).toEqual({ ok: true });
  });

  it('keeps the right token usable after a wrong one was presented for its CallSid', () => {
    const tokens = store();
    const token = tokens.issue('CA1');
    expect(tokens.consume('CA1', 'guess')).toEqual({ ok: false, reason: 'mismatch' });
    expect(tokens.consume('CA1', token)).toEqual({ ok: true });
  });

  it("never lets another call's token burn this call's token (a stranger's start naming CallSid B with A's token)", () => {
    const tokens = store();
    const tokenA = tokens.issue('CA_A');
    const tokenB = tokens.issue('CA_B');
    expect(tokens.consume('CA_B', tokenA)).toEqual({ ok: false, reason: 'mismatch' });
    expect(tokens.consume('CA_B', tokenB)).toEqual({ ok: true });
    expect(tokens.consume('CA_A', tokenA)).toEqual({ ok: true });
  });

  it('revokes a token on request', () => {
    const tokens = store();
    const token = tokens.issue('CA1');
    expect(tokens.has('CA1')).toBe(true);
    tokens.revoke('CA1');
    expect(tokens.has('CA1')).toBe(false);
    expect(tokens.consume('CA1', token)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses a missing token', () => {
    const tokens = store();
    tokens.issue('CA1');
    expect(tokens.consume('CA1', undefined)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a token presented at its TTL', () => {
    const clock = new FakeClock();
    const tokens = store(clock);
    const token = tokens.issue('CA1');
    clock.advance(30_000);
    expect(tokens.consume('CA1', token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts a token just before its TTL', () => {
    const clock = new FakeClock();
    const tokens = store(clock);
    const token = tokens.issue('CA1');
    clock.advance(29_999);
    expect(tokens.consume('CA1', token)).toEqual({ ok: true });
  });

  it('revokes an earlier token when the same call is answered again', () => {
    const tokens = store();
    const first = tokens.issue('CA1');
    const second = tokens.issue('CA1');
    expect(tokens.consume('CA1', first)).toEqual({ ok: false, reason: 'mismatch' });
    expect(tokens.consume('CA1', second)).toEqual({ ok: true });
  });

  it('sweeps expired tokens', () => {
    const clock = new FakeClock();
    const tokens = store(clock);
    tokens.issue('CA1');
    tokens.issue('CA2');
    clock.advance(20_000);
    tokens.issue('CA3');
    clock.advance(10_000);
    expect(tokens.size).toBe(1);
  });

  it('stays bounded by evicting the oldest tokens', () => {
    const tokens = store(new FakeClock(), 3);
    const oldest = tokens.issue('CA1');
    for (const sid of ['CA2', 'CA3', 'CA4']) tokens.issue(sid);
    expect(tokens.size).toBe(3);
    expect(tokens.consume('CA1', oldest)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('rejects a non-positive TTL at construction', () => {
    expect(() => new StreamTokenStore({ ttlMs: 0, clock: new FakeClock() })).toThrow(/ttlMs/);
  });
});
