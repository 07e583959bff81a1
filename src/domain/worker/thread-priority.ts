/**
 * Lowers the intent worker thread's CPU priority. The calls' audio runs on the main thread and needs it within
 * milliseconds; a caller turn's LangGraph run can wait a few more. When the machine is busy, the kernel then gives the
 * main thread the core first instead of sharing it evenly with a run in progress.
 *
 * Only on Linux, where `setpriority(PRIO_PROCESS, 0, n)` (what `os.setPriority(n)` calls) applies to the calling
 * thread alone; elsewhere it would lower the whole process, the audio included, so nothing is done.
 */
import os from 'node:os';

/** Nice value of the intent worker thread (0 is the default, 19 the lowest priority); lowering needs no privilege. */
export const INTENT_WORKER_NICENESS = 10;

/** What the function needs from the OS (injectable for tests). */
export interface ThreadPriorityOs {
  readonly platform: NodeJS.Platform;
  setPriority(priority: number): void;
}

const NODE_OS: ThreadPriorityOs = { platform: process.platform, setPriority: (priority) => os.setPriority(priority) };

/** Lowers the calling thread's priority on Linux; returns false where it did nothing or the OS refused. */
export function lowerCurrentThreadPriority(niceness: number = INTENT_WORKER_NICENESS, system: ThreadPriorityOs = NODE_OS): boolean {
  if (system.platform !== 'linux') return false;
  try {
    system.setPriority(niceness);
    return true;
  } catch {
    // A sandbox may forbid setpriority; the worker then simply runs at the default priority.
    return false;
  }
}
