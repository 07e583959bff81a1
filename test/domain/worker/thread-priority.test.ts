import { describe, expect, it } from 'vitest';
import { INTENT_WORKER_NICENESS, lowerCurrentThreadPriority, type ThreadPriorityOs } from '../../../src/domain/worker/thread-priority.js';

function fakeOs(platform: NodeJS.Platform, refuse = false): ThreadPriorityOs & { calls: number[] } {
  const calls: number[] = [];
  return {
    platform,
    calls,
    setPriority(priority) {
      if (refuse) throw new Error('EACCES');
      calls.push(priority);
    },
  };
}

describe('lowerCurrentThreadPriority', () => {
  it('sets the calling thread to the worker niceness on Linux', () => {
    const system = fakeOs('linux');
    expect(lowerCurrentThreadPriority(undefined, system)).toBe(true);
    expect(system.calls).toEqual([INTENT_WORKER_NICENESS]);
  });

  it('does nothing where setpriority would lower the whole process', () => {
    for (const platform of ['darwin', 'win32', 'freebsd'] as const) {
      const system = fakeOs(platform);
      expect(lowerCurrentThreadPriority(undefined, system)).toBe(false);
      expect(system.calls).toEqual([]);
    }
  });

  it('reports false, without throwing, when the OS refuses', () => {
    expect(lowerCurrentThreadPriority(5, fakeOs('linux', true))).toBe(false);
  });
});
