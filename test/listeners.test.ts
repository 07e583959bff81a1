import { describe, expect, it } from 'vitest';
import { Listeners } from '../src/listeners.js';

describe('Listeners', () => {
  it('calls listeners in order, reports a throwing one and still calls the rest, and removes one on unsubscribe', () => {
    const reported: Array<[string, number]> = [];
    const listeners = new Listeners<number>((error, event) => reported.push([error.message, event]));
    const seen: string[] = [];
    listeners.add((n) => seen.push(`a${n}`));
    const removeB = listeners.add(() => {
      throw new Error('b failed');
    });
    listeners.add((n) => seen.push(`c${n}`));
    listeners.emit(1);
    removeB();
    listeners.emit(2);
    listeners.clear();
    listeners.emit(3);
    expect(seen).toEqual(['a1', 'c1', 'a2', 'c2']);
    expect(reported).toEqual([['b failed', 1]]);
  });
});
