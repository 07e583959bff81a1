import { describe, expect, it } from 'vitest';
import { MemoryCallAdmissionStore } from '../../src/telephony/call-admission-store.js';
import { FakeClock } from './fakes.js';

describe('MemoryCallAdmissionStore', () => {
  it('admits a CallSid once, reports a duplicate as pending within the answer window, then as served', async () => {
    const clock = new FakeClock();
    const store = new MemoryCallAdmissionStore({ clock, answerWindowMs: 30_000 });
    expect(await store.claim('CA1')).toBe('admitted');
    expect(await store.claim('CA1')).toBe('pending');
    clock.advance(30_000);
    expect(await store.claim('CA1')).toBe('served');
  });

  it('reports a CallSid whose stream started as served at once', async () => {
    const store = new MemoryCallAdmissionStore({ clock: new FakeClock(), answerWindowMs: 30_000 });
    expect(await store.claim('CA1')).toBe('admitted');
    await store.markStreamStarted('CA1');
    expect(await store.claim('CA1')).toBe('served');
    // An outbound call's stream (no voice webhook) is remembered too.
    await store.markStreamStarted('CA2');
    expect(await store.claim('CA2')).toBe('served');
  });

  it('stays bounded: forgets the oldest beyond its size and everything after its memory time', async () => {
    const clock = new FakeClock();
    const store = new MemoryCallAdmissionStore({ clock, answerWindowMs: 30_000, maxEntries: 3, memoryMs: 60_000 });
    for (const sid of ['CA1', 'CA2', 'CA3', 'CA4']) await store.claim(sid);
    expect(store.size).toBe(3);
    expect(await store.claim('CA1')).toBe('admitted');
    clock.advance(60_000);
    expect(store.size).toBe(0);
  });
});
