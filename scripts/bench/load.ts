/**
 * Load section of `npm run bench`: N concurrent simulated Twilio callers against our real server (`src/main.ts`)
 * and, side by side in the same run, against a bridge built like the official Agents SDK example
 * (`scripts/bench/official-bridge/`), with one local fake Realtime server answering every call. Each piece runs in
 * its own process; the server's CPU and RSS come from `/proc`. Latencies are wall-clock on loopback between the
 * caller and fake processes (see BENCHMARKS.md). Quick ladder by default; `--full` or `BENCH_FULL=1` runs the long one.
 *
 * Servers: `ours` (REALTIME_AUDIO_FORMAT=pcmu), `ours-pcm16`, `official` (Agents SDK example) and `floor` (the bare
 * μ-law relay), alternated within each rung so the machine's noise hits them alike; ratios are taken within one run.
 * `ours-x2-proxy` (two processes of ours on one Postgres behind a round-robin TCP proxy; CPU and RSS summed over
 * both) runs when `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a Postgres, and is refused without one.
 * Overrides: `BENCH_LADDER=10,50` (calls per rung), `BENCH_WINDOW_S=15`, `BENCH_SERVERS=ours,official,floor`,
 * `BENCH_BASE_ROOT=<checkout>` (adds server `base`: our pcmu server from that checkout, for before/after in one run),
 * `BENCH_PIN=1` (taskset pinning), `BENCH_CPU_PROF=<dir>` (server `--cpu-prof` output), `BENCH_DUMP=<dir>` (raw records of every rung).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPlacement, nextMessage, spawnTsx, stopChild } from './load/children.js';
import { measureOffset } from './load/clock-sync.js';
import type { LatencySummary } from './load/latency-stats.js';
import type { FakeMessage } from './load/records.js';
import { runRung, SERVER_KINDS, type RungResult, type ServerKind } from './load/run-rung.js';

/** The rung kind of two instances behind a proxy. */
const MULTI_INSTANCE_KIND: ServerKind = 'ours-x2-proxy';

const QUICK_LADDER = [10, 50, 100];
const QUICK_WINDOW_S = 15;
const FULL_LADDER = [10, 50, 100, 200, 400];
const FULL_WINDOW_S = 60;
const FAKE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load/fake-process.ts');

/** Targets from issue 9, shown next to the figures. */
export const LOAD_TARGETS = {
  callsPerCore: 200,
  p99BridgeLatencyMs: 5,
  cpuRatioVsOfficial: 0.5,
  rssPerCallMiB: 2,
  cpuRatioVsFloor: 1.2,
} as const;

/** Settings of a load run. */
export interface LoadBenchOptions {
  readonly ladder: readonly number[];
  readonly windowS: number;
  readonly servers: readonly ServerKind[];
  readonly cpuProfDir?: string | undefined;
  /** Extra node flags for the server under test (both servers), e.g. GC settings. */
  readonly serverNodeFlags: readonly string[];
  readonly dumpDir?: string | undefined;
  /** Postgres for the multi-instance rung (`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`). */
  readonly databaseUrl?: string | undefined;
  /** Pin the server to core 0 and the load generators to the other cores (`BENCH_PIN=1`; off by default: on a 2-core host one core is too little for the load generators). */
  readonly pin: boolean;
}

/** What the load section returns: a printable report and the raw rung results. */
export interface LoadReport {
  readonly kind: 'load';
  readonly title: string;
  readonly options: LoadBenchOptions;
  readonly rungs: readonly RungResult[];
  readonly text: string;
}

/** Reads the ladder settings from argv and env (see the file comment). */
export function loadBenchOptions(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): LoadBenchOptions {
  const full = argv.includes('--full') || env.BENCH_FULL === '1';
  const ladder = env.BENCH_LADDER ? env.BENCH_LADDER.split(',').map((s) => Number.parseInt(s, 10)) : full ? FULL_LADDER : QUICK_LADDER;
  if (ladder.some((n) => !(n >= 1 && n <= 4000))) throw new Error(`BENCH_LADDER must list call counts 1..4000, got ${env.BENCH_LADDER}`);
  const windowS = env.BENCH_WINDOW_S ? Number(env.BENCH_WINDOW_S) : full ? FULL_WINDOW_S : QUICK_WINDOW_S;
  if (!(windowS >= 1 && windowS <= 600)) throw new Error(`BENCH_WINDOW_S must be 1..600, got ${env.BENCH_WINDOW_S}`);
  const databaseUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || undefined;
  // The multi-instance rung needs a Postgres: by default it runs only when one is named.
  const defaults = SERVER_KINDS.filter((kind) => kind !== MULTI_INSTANCE_KIND || databaseUrl !== undefined);
  if (databaseUrl === undefined) process.stderr.write(`load: ${MULTI_INSTANCE_KIND} skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a Postgres\n`);
  const servers = (env.BENCH_SERVERS ?? defaults.join(',')).split(',').map((s) => s.trim()) as ServerKind[];
  if (servers.length === 0 || servers.some((s) => !SERVER_KINDS.includes(s))) throw new Error(`BENCH_SERVERS must list some of ${SERVER_KINDS.join(', ')}, got ${env.BENCH_SERVERS}`);
  if (servers.includes(MULTI_INSTANCE_KIND) && databaseUrl === undefined) throw new Error(`BENCH_SERVERS lists ${MULTI_INSTANCE_KIND}, which needs a Postgres: set BENCH_DATABASE_URL or TEST_DATABASE_URL`);
  return { ladder, windowS, servers, cpuProfDir: env.BENCH_CPU_PROF ? path.resolve(env.BENCH_CPU_PROF) : undefined, serverNodeFlags: (env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag.length > 0), dumpDir: env.BENCH_DUMP ? path.resolve(env.BENCH_DUMP) : undefined, pin: env.BENCH_PIN === '1', databaseUrl };
}

const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const lat = (s: LatencySummary): string => `${fmt(s.p50Ms)}/${fmt(s.p99Ms)}/${fmt(s.maxMs, 1)}`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function errorsOf(r: RungResult): string {
  const parts: string[] = [];
  if (r.failedCalls) parts.push(`${r.failedCalls} failed`);
  if (r.unmatchedCalls) parts.push(`${r.unmatchedCalls} untagged`);
  if (r.closedByServer) parts.push(`${r.closedByServer} closed early`);
  if (r.violations) parts.push(`${r.violations} twilio violations`);
  if (r.mismatches) parts.push(`${r.mismatches} mismatched`);
  if (r.leakedAfterClearMs) parts.push(`${fmt(r.leakedAfterClearMs, 0)} ms of interrupted replies sent after their clear`);
  if (r.bargeInsMissed) parts.push(`${r.bargeInsMissed} barge-ins unanswered`);
  for (const [code, n] of Object.entries(r.fakeErrors)) parts.push(`${n} ${code}`);
  if (r.serverErrorLines) parts.push(`${r.serverErrorLines} server error logs`);
  if (r.serverWarnLines) parts.push(`${r.serverWarnLines} server warn logs`);
  return parts.length ? parts.join(', ') : 'none';
}

/** Calls that failed, were never matched to a Realtime session, or were closed by the server before the hang-up. */
export function callsLost(r: RungResult): number {
  return r.failedCalls + r.unmatchedCalls + r.closedByServer;
}

/** Share of a core above which a server counts as saturated (its queues grow and its per-call CPU is not comparable). */
const SATURATED_CORE_SHARE = 0.9;
/** Mid-call frame loss above this share also marks saturation. */
const SATURATED_LOSS_SHARE = 0.001;

/** True when the rung overloaded the server: the figures describe collapse, not cost. */
export function isSaturated(r: RungResult): boolean {
  return r.serverCoreShare >= SATURATED_CORE_SHARE || r.framesLost - r.framesLostAtStart > SATURATED_LOSS_SHARE * r.framesSent || r.failedCalls > 0;
}

/** Renders rung results and the ours/official ratios as text tables. */
export function renderLoadReport(rungs: readonly RungResult[]): string {
  const header = ['server', 'calls', 'CPU ms/call-s', 'calls/core', 'core used', 'machine busy', 'syscalls/call-s r/w', 'RSS MiB/call', 'in p50/p99/max ms', 'out p50/p99/max ms', 'out+hold p50/p99', 'first audio p50/p99', 'barge->clear p50/p99', 'frames lost (at start)', 'out lost ms'];
  const rows = rungs.map((r) => [
    isSaturated(r) ? `${r.server}*` : r.server,
    String(r.calls),
    fmt(r.cpuMsPerCallSecond, 3),
    fmt(r.callsPerCore, 0),
    `${fmt(r.serverCoreShare * 100, 0)}%`,
    `${fmt(r.machineBusyShare * 100, 0)}%`,
    `${fmt(r.readSyscallsPerCallSecond, 0)}/${fmt(r.writeSyscallsPerCallSecond, 0)}`,
    fmt(r.rssPerCallMiB, 3),
    lat(r.inbound),
    lat(r.outbound),
    `${fmt(r.outboundHold.p50Ms)}/${fmt(r.outboundHold.p99Ms)}`,
    `${fmt(r.firstAudio.p50Ms)}/${fmt(r.firstAudio.p99Ms)}`,
    `${fmt(r.bargeIn.p50Ms)}/${fmt(r.bargeIn.p99Ms)}`,
    `${r.framesLost}/${r.framesSent} (${r.framesLostAtStart})`,
    fmt(r.outputLostMs, 0),
  ]);
  const lines = [table(header, rows), '', 'CPU ms per call-second by server thread:'];
  for (const r of rungs) {
    const threads = Object.entries(r.cpuMsPerCallSecondByThread).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
    lines.push(`  ${r.server} x${r.calls}: ${threads.map(([name, ms]) => `${name} ${fmt(ms, 3)}`).join(', ')}`);
  }
  lines.push('', 'errors per rung:');
  for (const r of rungs) lines.push(`  ${r.server} x${r.calls}: ${errorsOf(r)}; clock sync ±${fmt(r.clockUncertaintyMs, 3)} ms${r.serverErrorSamples[0] ? ` (first error: ${r.serverErrorSamples[0].slice(0, 160)})` : ''}${r.serverWarnSamples[0] ? ` (first warn: ${r.serverWarnSamples[0].slice(0, 200)})` : ''}`);
  const ratioRows: string[][] = [];
  const pairs: Array<[ServerKind, ServerKind]> = [
    ['ours', 'floor'],
    ['base', 'floor'],
    ['ours', 'base'],
    ['ours-pcm16', 'floor'],
    ['official', 'floor'],
    ['ours', 'official'],
    ['ours-pcm16', 'official'],
    ['ours', 'ours-pcm16'],
    ['ours-x2-proxy', 'ours'],
  ];
  for (const [a, b] of pairs) for (const ours of rungs.filter((r) => r.server === a)) {
    const official = rungs.find((r) => r.server === b && r.calls === ours.calls);
    if (!official) continue;
    ratioRows.push([
      `${a}/${b}${isSaturated(ours) || isSaturated(official) ? '*' : ''}`,
      String(ours.calls),
      fmt(ours.cpuMsPerCallSecond / official.cpuMsPerCallSecond, 2),
      fmt(ours.rssPerCallMiB / official.rssPerCallMiB, 2),
      fmt(ours.inbound.p99Ms / official.inbound.p99Ms, 2),
      fmt(ours.outbound.p99Ms / official.outbound.p99Ms, 2),
      fmt(ours.bargeIn.p99Ms / official.bargeIn.p99Ms, 2),
    ]);
  }
  if (ratioRows.length > 0) {
    lines.push('', table(['ratio', 'calls', 'CPU per call', 'RSS per call', 'in p99', 'out p99', 'barge p99'], ratioRows));
  }
  const scaled = rungs.filter((r) => r.server === MULTI_INSTANCE_KIND);
  if (scaled.length > 0) {
    const scaleRows = scaled.map((r) => [
      isSaturated(r) ? `${r.server}*` : r.server,
      String(r.calls),
      fmt(r.cpuMsPerCallSecond, 3),
      fmt(r.inbound.p99Ms),
      fmt(r.outbound.p99Ms),
      fmt(r.firstAudio.p99Ms),
      String(callsLost(r)),
    ]);
    lines.push('', 'two instances on one Postgres behind a round-robin proxy (CPU summed over both processes):', table(['server', 'calls', 'CPU ms/call-s (sum)', 'in p99 ms', 'out p99 ms', 'first audio p99 ms', 'calls lost'], scaleRows));
  }
  lines.push(
    '',
    `issue 19 target: CPU per call-second <= ${LOAD_TARGETS.cpuRatioVsFloor} x floor at 100 calls in pcmu mode`,
    `targets: >= ${LOAD_TARGETS.callsPerCore} calls/core with p99 bridge latency <= ${LOAD_TARGETS.p99BridgeLatencyMs} ms and 0 frames lost; CPU per call <= ${LOAD_TARGETS.cpuRatioVsOfficial} x official; <= ${LOAD_TARGETS.rssPerCallMiB} MiB RSS per call`,
    'latency = wall clock between caller and fake processes on loopback (includes both socket hops: an upper bound on the bridge itself)',
    'machine busy = share of all cores busy in the window (server, load generators, anything else): latency degrades as it nears 100%',
    `* saturated: the server used >= ${SATURATED_CORE_SHARE * 100}% of a core, lost > ${SATURATED_LOSS_SHARE * 100}% of frames mid-call or failed calls; its figures describe overload, not cost`,
  );
  return lines.join('\n');
}

/** Runs the ladder for each server with one fake Realtime server for the whole run. */
export async function runLoadBench(options: LoadBenchOptions = loadBenchOptions()): Promise<LoadReport> {
  const placement = cpuPlacement(options.pin);
  const fake = spawnTsx(FAKE_FILE, { cpus: placement.load });
  const rungs: RungResult[] = [];
  try {
    const { url } = await nextMessage<Extract<FakeMessage, { type: 'ready' }>>(fake, 'ready', 30_000);
    const fakeClock = await measureOffset(fake);
    for (const calls of options.ladder) {
      for (const server of options.servers) {
        process.stderr.write(`load: ${server} x${calls} for ${options.windowS} s...\n`);
        rungs.push(await runRung({ server, calls, windowMs: options.windowS * 1000, fakeUrl: url, fake, fakeClock, serverCpus: placement.server, loadCpus: placement.load, cpuProfDir: options.cpuProfDir, serverNodeFlags: options.serverNodeFlags, dumpDir: options.dumpDir, databaseUrl: options.databaseUrl }));
      }
    }
  } finally {
    await stopChild(fake);
  }
  return {
    kind: 'load',
    title: `Load: concurrent simulated calls, ${options.windowS} s window per rung (server CPU/RSS from /proc; latency wall-clock on loopback; ${placement.server === undefined ? 'no CPU pinning' : `server pinned to CPU ${placement.server}, fake and callers to ${placement.load}`})`,
    options,
    rungs,
    text: renderLoadReport(rungs),
  };
}
