/**
 * One rung of the load ladder: a fresh server process (ours or the official-example bridge), a short warm-up, the
 * idle baseline, then N simulated calls ramped in, a measurement window in which the server's CPU and RSS are read
 * from `/proc`, hang-up, and the analysis of what the callers and the fake recorded.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseRung, type RungAnalysis } from './analyse.js';
import { nextMessage, spawnTsx, stopChild } from './children.js';
import { measureOffset, type ClockOffset } from './clock-sync.js';
import { summarize, type LatencySummary } from './latency-stats.js';
import { cpuMs, machineCpuMs, rssBytes, syscallCounts, threadCpuMs } from './proc-stats.js';
import { openPostgresDb } from '../../../src/records/sql-db.js';
import { epochMs, type CallerCallRecord, type CallerMessage, type CallerRunRequest, type FakeMessage, type FakeSessionRecord } from './records.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CALLER_FILE = path.join(ROOT, 'scripts/bench/load/caller-process.ts');
/** The checkout `base` runs from (`BENCH_BASE_ROOT`); undefined: no `base` server. */
const BASE_ROOT = process.env.BENCH_BASE_ROOT ? path.resolve(process.env.BENCH_BASE_ROOT) : undefined;
/**
 * The bridges a rung can load: ours in each Realtime wire format, the official Agents-SDK example, the bare
 * μ-law relay (`scripts/bench/bare-relay/`), the transport floor on this machine, and `base`: our server (pcmu)
 * from another checkout (e.g. a `git worktree` of the commit before a change, with its own node_modules), so
 * before and after are measured side by side in one run.
 */
const SERVERS = {
  ours: { file: path.join(ROOT, 'src/main.ts'), env: { REALTIME_AUDIO_FORMAT: 'pcmu' } },
  'ours-pcm16': { file: path.join(ROOT, 'src/main.ts'), env: { REALTIME_AUDIO_FORMAT: 'pcm16' } },
  official: { file: path.join(ROOT, 'scripts/bench/official-bridge/server.ts'), env: {} },
  floor: { file: path.join(ROOT, 'scripts/bench/bare-relay/server.ts'), env: {} },
  // Two processes of ours on one Postgres behind the round-robin TCP proxy (`RungOptions.databaseUrl` required).
  'ours-x2-proxy': { file: path.join(ROOT, 'src/main.ts'), env: { REALTIME_AUDIO_FORMAT: 'pcmu' } },
  base: { file: path.join(BASE_ROOT ?? ROOT, 'src/main.ts'), env: { REALTIME_AUDIO_FORMAT: 'pcmu' } },
} as const;

/** Server processes a kind runs (behind `proxy-process.ts` when more than one); one unless listed. */
const INSTANCES: Partial<Record<keyof typeof SERVERS, number>> = { 'ours-x2-proxy': 2 };
const PROXY_FILE = path.join(ROOT, 'scripts/bench/load/proxy-process.ts');

/** Which bridge a rung loads. */
export type ServerKind = keyof typeof SERVERS;

/** Every server kind, in the order a run loads them (`base` only when `BENCH_BASE_ROOT` is set). */
export const SERVER_KINDS = (Object.keys(SERVERS) as ServerKind[]).filter((kind) => kind !== 'base' || BASE_ROOT !== undefined);

const PUBLIC_BASE_URL = 'https://bench.invalid';
const AUTH_TOKEN = 'be0be0be0be0be0be0be0be0be0be0be';
/** Calls one caller process drives at most (each caller process gets its own core share). */
const CALLS_PER_CALLER_PROCESS = 200;
/** Calls are started evenly over this long per call, so setup does not burst (12.5 ms: 400 calls in 5 s). */
const RAMP_MS_PER_CALL = 12.5;
const MIN_RAMP_MS = 1000;
/** Time after the last call started before the window opens (its first reply has begun by then). */
const SETTLE_MS = 2000;
/** Frames stop at the end of the window; the callers hang up this much later, so in-flight audio lands. */
const DRAIN_MS = 1500;
const WARMUP_CALLS = 2;
const WARMUP_MS = 3000;
const RSS_SAMPLE_MS = 1000;

/** Settings of one rung. */
export interface RungOptions {
  readonly server: ServerKind;
  readonly calls: number;
  readonly windowMs: number;
  /** The load fake's URL. */
  readonly fakeUrl: string;
  readonly fake: ChildProcess;
  /** The fake's clock offset, measured once when it started. */
  readonly fakeClock: ClockOffset;
  /** `taskset -c` lists for the server and the callers (undefined: no pinning). */
  readonly serverCpus?: string | undefined;
  readonly loadCpus?: string | undefined;
  /** Directory where the raw caller and fake records of the rung are written, when set. */
  readonly dumpDir?: string | undefined;
  /** Directory for `--cpu-prof` output of the server, when profiling. */
  readonly cpuProfDir?: string | undefined;
  /** Extra node flags for the server process (before `--import tsx`). */
  readonly serverNodeFlags?: readonly string[] | undefined;
  /** Postgres the instances of a multi-instance kind share (a fresh schema per rung); required for those. */
  readonly databaseUrl?: string | undefined;
}

/** The counters of `RungAnalysis` a rung reports as they are (its raw latency samples become summaries). */
type RungCounters = Omit<RungAnalysis, 'inboundMs' | 'outboundMs' | 'outboundHoldMs' | 'firstAudioMs' | 'bargeMs'>;

/** Everything one rung measured. */
export interface RungResult extends RungCounters {
  readonly server: ServerKind;
  readonly calls: number;
  readonly windowS: number;
  /** Server CPU milliseconds per second of one call (= per mille of a core per call). */
  readonly cpuMsPerCallSecond: number;
  /** Read-class and write-class system calls of the server per call-second (socket reads, writev...). */
  readonly readSyscallsPerCallSecond: number;
  readonly writeSyscallsPerCallSecond: number;
  /** Share of all the machine's cores busy in the window (server, load generators and anything else running). */
  readonly machineBusyShare: number;
  /** Calls one core could carry at this cost (1000 / cpuMsPerCallSecond). */
  readonly callsPerCore: number;
  /** Share of one core the server used during the window. */
  readonly serverCoreShare: number;
  /** CPU milliseconds per call-second by thread name (main thread, intent worker, V8's helper threads, libuv's pool). */
  readonly cpuMsPerCallSecondByThread: Readonly<Record<string, number>>;
  readonly rssBaselineMiB: number;
  readonly rssPeakMiB: number;
  readonly rssPerCallMiB: number;
  readonly inbound: LatencySummary;
  readonly outbound: LatencySummary;
  readonly outboundHold: LatencySummary;
  readonly firstAudio: LatencySummary;
  readonly bargeIn: LatencySummary;
  /** Bound on the cross-process clock error of each latency (from the clock sync's best round trips). */
  readonly clockUncertaintyMs: number;
  readonly serverWarnLines: number;
  readonly serverErrorLines: number;
  /** First server error lines, for the report. */
  readonly serverErrorSamples: string[];
  /** The first few warn lines, verbatim (cut at 300 characters). */
  readonly serverWarnSamples: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function waitHealthy(port: number, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with code ${server.exitCode} during startup`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`server not healthy within ${timeoutMs} ms`);
}

/** Takes the fake's session records, in the bench's clock. */
async function collectFake(fake: ChildProcess, clock: ClockOffset): Promise<FakeSessionRecord[]> {
  const collected = nextMessage<Extract<FakeMessage, { type: 'collected' }>>(fake, 'collected', 30_000);
  fake.send({ type: 'collect' });
  const offset = clock.offsetMs;
  return (await collected).sessions.map((s) => ({
    ...s,
    appendTimes: shift(s.appendTimes, offset),
    bargeTimes: shift(s.bargeTimes, offset),
    responses: s.responses.map((r) => ({ ...r, deltaTimes: shift(r.deltaTimes, offset) })),
  }));
}

const shift = (times: number[], offsetMs: number): number[] => times.map((t) => t - offsetMs);

/** Runs `calls` over the caller processes and resolves with every record, in the bench's clock. */
async function runCallers(
  callers: ChildProcess[],
  clocks: readonly ClockOffset[],
  request: Omit<CallerRunRequest, 'calls'>,
  calls: CallerRunRequest['calls'],
): Promise<CallerCallRecord[]> {
  const done = callers.map(async (child, p) => {
    const share = calls.filter((_, i) => i % callers.length === p);
    const result = nextMessage<Extract<CallerMessage, { type: 'done' }>>(child, 'done', request.hangUpAt - epochMs() + 30_000);
    child.send({ ...request, calls: share } satisfies CallerRunRequest);
    const offset = clocks[p]?.offsetMs ?? 0;
    return (await result).calls.map((c) => ({ ...c, frameTimes: shift(c.frameTimes, offset), mediaTimes: shift(c.mediaTimes, offset), clearTimes: shift(c.clearTimes, offset) }));
  });
  return (await Promise.all(done)).flat();
}

async function startCallers(count: number, cpus: string | undefined): Promise<ChildProcess[]> {
  const callers = Array.from({ length: count }, () => spawnTsx(CALLER_FILE, { cpus }));
  await Promise.all(callers.map((c) => nextMessage(c, 'ready', 30_000)));
  return callers;
}

/** Idle probe: 1 s windows, idle when the server used at most one clock tick (10 ms) in one; at most 40 probes. */
const IDLE_PROBE_MS = 1000;
const IDLE_CPU_MS_PER_PROBE = 10;
const IDLE_MAX_PROBES = 40;

/**
 * Waits until the idle server has stopped working in the background: V8 keeps compiling and collecting for tens of
 * seconds after a start (more for a server that loads more code), which would be billed to the first calls.
 */
async function waitUntilIdle(pid: number): Promise<void> {
  for (let probe = 0; probe < IDLE_MAX_PROBES; probe++) {
    const before = cpuMs(pid);
    await sleep(IDLE_PROBE_MS);
    if (cpuMs(pid) - before <= IDLE_CPU_MS_PER_PROBE) return;
  }
}

/** A schema of its own on `baseUrl` for one rung (its CallSids and records start empty); dropped after the rung. */
async function freshBenchSchema(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${process.pid}_${Date.now().toString(36)}`;
  const run = async (sql: string): Promise<void> => {
    const db = openPostgresDb(baseUrl, { max: 1 });
    try {
      await db.run(sql);
    } finally {
      await db.close();
    }
  };
  await run(`CREATE SCHEMA ${name}`);
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return { url: url.toString(), drop: () => run(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}

/** Runs one rung; every child it started is stopped before it returns. */
export async function runRung(options: RungOptions): Promise<RungResult> {
  const instances = INSTANCES[options.server] ?? 1;
  if (instances > 1 && !options.databaseUrl) throw new Error(`${options.server} needs a Postgres the instances share: set BENCH_DATABASE_URL (or TEST_DATABASE_URL)`);
  const schema = instances > 1 ? await freshBenchSchema(options.databaseUrl as string) : undefined;
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-data-'));
  let warnLines = 0;
  let errorLines = 0;
  const errorSamples: string[] = [];
  const warnSamples: string[] = [];
  const servers = ports.map((port) => spawnTsx(SERVERS[options.server].file, {
    env: {
      ...SERVERS[options.server].env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      OPENAI_REALTIME_URL: options.fakeUrl,
      CLASSIFIER: 'keyword',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...(schema ? { DATABASE_URL: schema.url } : {}),
      // Stop at once on SIGTERM (no readiness grace): a server killed after the stop's grace writes no `--cpu-prof`.
      DRAIN_GRACE_S: '0',
    },
    cpus: options.serverCpus,
    nodeFlags: [...(options.serverNodeFlags ?? []), ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [])],
    onLine: (line) => {
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (level === undefined || Number(level) >= 50) {
        errorLines += 1;
        if (errorSamples.length < 5) errorSamples.push(line.slice(0, 300));
      } else if (Number(level) >= 40) {
        warnLines += 1;
        if (warnSamples.length < 5) warnSamples.push(line.slice(0, 300));
      }
    },
  }));
  const callerCount = Math.max(1, Math.ceil(options.calls / CALLS_PER_CALLER_PROCESS));
  const [callers] = await Promise.all([startCallers(callerCount, options.loadCpus), ...ports.map((port, i) => waitHealthy(port, servers[i] as ChildProcess, 60_000))]);
  const proxy = instances > 1 ? spawnTsx(PROXY_FILE, { env: { BACKEND_PORTS: ports.join(',') }, cpus: options.loadCpus }) : undefined;
  const entryPort = proxy ? (await nextMessage<{ type: 'ready'; port: number }>(proxy, 'ready', 30_000)).port : (ports[0] as number);
  // CPU, memory and system calls are the sum over the instances (the proxy, like a balancer, is not billed).
  const pids = servers.map((server) => server.pid as number);
  const sum = (read: (pid: number) => number): number => pids.reduce((total, pid) => total + read(pid), 0);
  const serverCpuMs = (): number => sum(cpuMs);
  const serverRssBytes = (): number => sum(rssBytes);
  const serverSyscalls = (): { reads: number; writes: number } => ({ reads: sum((pid) => syscallCounts(pid).reads), writes: sum((pid) => syscallCounts(pid).writes) });
  /** CPU ms by thread name, summed over the instances. */
  const serverThreadCpuMs = (): Map<string, number> => {
    const total = new Map<string, number>();
    for (const pid of pids) for (const [name, ms] of threadCpuMs(pid)) total.set(name, (total.get(name) ?? 0) + ms);
    return total;
  };
  const callerClocks: ClockOffset[] = [];
  for (const caller of callers) callerClocks.push(await measureOffset(caller));
  const toleranceMs = Math.max(...callerClocks.map((c) => c.uncertaintyMs)) + options.fakeClock.uncertaintyMs;
  const base = { type: 'run' as const, connectBaseUrl: `http://127.0.0.1:${entryPort}`, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN };
  try {
    // Warm-up: lazily loaded modules and JIT-compiled code belong in the idle baseline, not in the per-call figures.
    const warmStart = epochMs() + 100;
    await runCallers(callers.slice(0, 1), callerClocks, { ...base, stopFramesAt: warmStart + WARMUP_MS, hangUpAt: warmStart + WARMUP_MS + 300 }, Array.from({ length: WARMUP_CALLS }, (_, i) => ({ callId: 4000 + i, startAt: warmStart + i * 50 })));
    await collectFake(options.fake, options.fakeClock);
    await sleep(1000);
    for (const pid of pids) await waitUntilIdle(pid);
    const rssBaseline = serverRssBytes();

    const rampMs = Math.max(MIN_RAMP_MS, options.calls * RAMP_MS_PER_CALL);
    const t0 = epochMs() + 200;
    const from = t0 + rampMs + SETTLE_MS;
    const to = from + options.windowMs;
    const calls = Array.from({ length: options.calls }, (_, i) => ({ callId: i, startAt: t0 + (i * rampMs) / options.calls }));
    const records = runCallers(callers, callerClocks, { ...base, stopFramesAt: to, hangUpAt: to + DRAIN_MS }, calls);
    await sleep(from - epochMs());
    const cpuStart = serverCpuMs();
    const threadsStart = serverThreadCpuMs();
    const machineStart = machineCpuMs();
    const syscallsStart = serverSyscalls();
    const rss: number[] = [];
    while (epochMs() < to - RSS_SAMPLE_MS / 2) {
      await sleep(Math.min(RSS_SAMPLE_MS, to - epochMs()));
      rss.push(serverRssBytes());
    }
    await sleep(to - epochMs());
    const cpuUsed = serverCpuMs() - cpuStart;
    const threadsEnd = serverThreadCpuMs();
    const machineEnd = machineCpuMs();
    const syscallsEnd = serverSyscalls();
    const callerRecords = await records;
    const sessions = await collectFake(options.fake, options.fakeClock);
    if (options.dumpDir) {
      writeFileSync(path.join(options.dumpDir, `rung-${options.server}-${options.calls}.json`), JSON.stringify({ from, to, callerRecords, sessions }));
    }
    const analysis: RungAnalysis = analyseRung(callerRecords, sessions, from, to, toleranceMs);
    const windowS = options.windowMs / 1000;
    const cpuPerCallSecond = cpuUsed / (options.calls * windowS);
    const rssPeak = Math.max(rssBaseline, ...rss);
    const mib = (bytes: number): number => bytes / (1024 * 1024);
    return {
      server: options.server,
      calls: options.calls,
      windowS,
      cpuMsPerCallSecond: cpuPerCallSecond,
      callsPerCore: 1000 / cpuPerCallSecond,
      serverCoreShare: cpuUsed / options.windowMs,
      cpuMsPerCallSecondByThread: Object.fromEntries([...threadsEnd].map(([name, ms]) => [name, (ms - (threadsStart.get(name) ?? 0)) / (options.calls * windowS)])),
      readSyscallsPerCallSecond: (syscallsEnd.reads - syscallsStart.reads) / (options.calls * (options.windowMs / 1000)),
      writeSyscallsPerCallSecond: (syscallsEnd.writes - syscallsStart.writes) / (options.calls * (options.windowMs / 1000)),
      machineBusyShare: (machineEnd.busyMs - machineStart.busyMs) / Math.max(1, machineEnd.totalMs - machineStart.totalMs),
      rssBaselineMiB: mib(rssBaseline),
      rssPeakMiB: mib(rssPeak),
      rssPerCallMiB: mib(rssPeak - rssBaseline) / options.calls,
      inbound: summarize(analysis.inboundMs),
      outbound: summarize(analysis.outboundMs),
      outboundHold: summarize(analysis.outboundHoldMs),
      firstAudio: summarize(analysis.firstAudioMs),
      bargeIn: summarize(analysis.bargeMs),
      framesSent: analysis.framesSent,
      framesLost: analysis.framesLost,
      framesLostAtStart: analysis.framesLostAtStart,
      outputLostMs: analysis.outputLostMs,
      leakedAfterClearMs: analysis.leakedAfterClearMs,
      bargeInsMissed: analysis.bargeInsMissed,
      failedCalls: analysis.failedCalls,
      unmatchedCalls: analysis.unmatchedCalls,
      closedByServer: analysis.closedByServer,
      violations: analysis.violations,
      mismatches: analysis.mismatches,
      fakeErrors: analysis.fakeErrors,
      clockUncertaintyMs: toleranceMs,
      serverWarnLines: warnLines,
      serverErrorLines: errorLines,
      serverErrorSamples: errorSamples,
      serverWarnSamples: warnSamples,
    };
  } finally {
    // Writing a large `--cpu-prof` profile at exit takes seconds: give the servers time before SIGKILL.
    await Promise.all([...servers.map((server) => stopChild(server, options.cpuProfDir ? 60_000 : undefined)), ...(proxy ? [stopChild(proxy)] : []), ...callers.map((c) => stopChild(c))]);
    rmSync(dataDir, { recursive: true, force: true });
    await schema?.drop();
  }
}
