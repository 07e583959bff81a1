import { describe, expect, it } from 'vitest';
import { withOverrides } from '../src/with-overrides.js';

interface Counter {
  readonly label: string;
  readonly count: number;
  increment(by?: number): number;
  describe(): string;
}

/** A class with a private field and a getter: calling its methods with the wrong `this` throws. */
class PrivateCounter implements Counter {
  readonly label = 'private';
  #count = 0;
  get count(): number {
    return this.#count;
  }
  increment(by = 1): number {
    this.#count += by;
    return this.#count;
  }
  describe(): string {
    return `${this.label}:${this.#count}`;
  }
}

describe('withOverrides', () => {
  it('takes overridden members from the overrides and every other member from the inner object', () => {
    const inner = new PrivateCounter();
    const seen: number[] = [];
    const wrapped = withOverrides<Counter>(inner, {
      increment: (by = 1) => {
        seen.push(by);
        return inner.increment(by * 10);
      },
    });
    expect(wrapped.increment(2)).toBe(20);
    expect(seen).toEqual([2]);
    // Not overridden: the inner's own method, bound to it (its private field is reachable), and its getter, live.
    expect(wrapped.describe()).toBe('private:20');
    inner.increment();
    expect(wrapped.count).toBe(21);
    expect(wrapped.label).toBe('private');
  });

  it('passes through a member the wrapper never names, so a new interface member needs no edit', () => {
    const inner = { label: 'plain', count: 3, increment: (by = 1) => 3 + by, describe: () => 'plain', extra: () => 'added later' };
    const wrapped = withOverrides(inner, { count: 7 });
    expect(wrapped.extra()).toBe('added later');
    expect(wrapped.count).toBe(7);
    expect('extra' in wrapped).toBe(true);
    expect('missing' in wrapped).toBe(false);
  });

  it('returns the same bound method on every read, and follows a method replaced on the inner object', () => {
    const inner = new PrivateCounter();
    const wrapped = withOverrides<Counter>(inner, {});
    expect(wrapped.increment).toBe(wrapped.increment);
    const detached = wrapped.increment;
    expect(detached(5)).toBe(5);
    inner.describe = () => 'replaced';
    expect(wrapped.describe()).toBe('replaced');
  });

  it('works over a frozen object', () => {
    const inner = Object.freeze({ label: 'frozen', count: 1, increment: () => 2, describe(this: Counter) { return this.label; } });
    const wrapped = withOverrides<Counter>(inner, {});
    expect(wrapped.describe()).toBe('frozen');
    expect(wrapped.increment()).toBe(2);
  });
});
