/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` (what `node --cpu-prof` writes; the load bench
 * writes one per server process with `BENCH_CPU_PROF=<dir>`), and the self time summed per package.
 *
 *   npx tsx scripts/bench/cpu-profile-top.ts <file.cpuprofile> [top=25] [skip-s=0]
 *
 * `skip-s` leaves out the first seconds of the profile (start-up: module loading and compilation, the warm-up calls).
 *
 * Self time of a node = its samples × the mean sample interval. A function is keyed by name, file and line, so
 * its nodes on different stacks add up. "Package" is the npm package of the file (`node_modules/<pkg>` or
 * `node_modules/@scope/pkg`), `src`/`scripts` for ours, `node:` for Node's own JavaScript, `(native)` for the rest
 * (GC, the idle loop, native code: `(garbage collector)`, `(program)`, `(idle)`).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The package a script URL belongs to (see the file comment). */
export function packageOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node:';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] as string;
  const ours = /\/(src|scripts|fakes)\//.exec(url);
  return ours ? (ours[1] as string) : url;
}

/** Self milliseconds per function and per package. */
export function selfTimes(profile: CpuProfile, skipMs = 0): { totalMs: number; functions: Map<string, number>; packages: Map<string, number> } {
  const counts = new Map<number, number>();
  let atUs = profile.startTime;
  let kept = 0;
  profile.samples.forEach((id, i) => {
    atUs += profile.timeDeltas[i] ?? 0;
    if (atUs - profile.startTime < skipMs * 1000) return;
    kept += 1;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  const totalMs = Math.max(0, (profile.endTime - profile.startTime) / 1000 - skipMs);
  const msPerSample = kept > 0 ? totalMs / kept : 0;
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = counts.get(node.id) ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|scripts|fakes)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + hits * msPerSample);
    const pkg = packageOf(url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + hits * msPerSample);
  }
  return { totalMs, functions, packages };
}

function main(): void {
  const [file, topArg, skipArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx scripts/bench/cpu-profile-top.ts <file.cpuprofile> [top=25] [skip-s=0]');
  const top = topArg ? Number.parseInt(topArg, 10) : 25;
  const skipS = skipArg ? Number(skipArg) : 0;
  const { totalMs, functions, packages } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, skipS * 1000);
  const idle = functions.get('(idle)') ?? 0;
  const busyMs = totalMs - idle;
  const pct = (ms: number): string => `${((100 * ms) / busyMs).toFixed(1).padStart(5)} %`;
  console.log(`profile ${file}${skipS ? ` after ${skipS} s` : ''}: ${totalMs.toFixed(0)} ms, ${busyMs.toFixed(0)} ms not idle (${idle.toFixed(0)} ms idle); shares of non-idle time`);
  console.log('\nper package:');
  packages.delete('(native)');
  packages.set('(native, not idle)', busyMs - [...packages.values()].reduce((a, b) => a + b, 0));
  for (const [pkg, ms] of [...packages].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${pkg}`);
  console.log(`\ntop ${top} functions by self time:`);
  for (const [fn, ms] of [...functions].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${fn}`);
}

main();
