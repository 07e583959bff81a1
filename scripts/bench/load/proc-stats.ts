/** Another process's CPU time and resident memory, read from Linux `/proc` (no cooperation from the process). */
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (`getconf CLK_TCK`), 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_S = 100;

/** User + system CPU milliseconds the process (or one of its threads, `tid`) has used so far (10 ms resolution). */
export function cpuMs(pid: number, tid?: string): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Busy and total CPU milliseconds of the whole machine so far (all cores, from the `cpu` line of /proc/stat). */
export function machineCpuMs(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
  // cpu user nice system idle iowait irq softirq steal ...: idle and iowait are the only not-busy columns.
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS_PER_S, totalMs: (total * 1000) / CLOCK_TICKS_PER_S };
}

/** Read-class and write-class system calls the process (all its threads) has made so far, from /proc/<pid>/io. */
export function syscallCounts(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const reads = /syscr:\s+(\d+)/.exec(io)?.[1];
  const writes = /syscw:\s+(\d+)/.exec(io)?.[1];
  return { reads: Number(reads ?? Number.NaN), writes: Number(writes ?? Number.NaN) };
}

/**
 * User + system CPU milliseconds per thread name (`/proc/<pid>/task/<tid>/comm`: Node names its threads `MainThread`,
 * `V8Worker` for the garbage collector's and compiler's helpers, `libuv-worker`, and a worker thread by its `name`),
 * summed over threads of the same name. Threads that ended before the read are not counted.
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuMs(pid, tid));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName;
}
