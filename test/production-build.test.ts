/**
 * The production build: `npm run build` compiles src/ to dist/, and the command `npm start` runs (plain node on
 * dist/main.js, which loads .env itself) boots the whole server, intent worker thread included, and serves the
 * health route. Builds once for the file (tsc takes tens of seconds on a busy machine).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_PATH, READY_PATH } from '../src/http/health-route.js';
import { SHUTDOWN_CLOSING_LINE } from '../src/call/call-manager.js';
import { renderSayAndHangup } from '../src/telephony/twiml.js';
import { RealtimeFakeServer } from '../fakes/realtime-server.js';
import { PROCESS_AUTH_TOKEN, PROCESS_PUBLIC_BASE_URL, placeProcessCall } from './deploy/process-call.js';
import { startTcpProxy } from '../scripts/bench/load/tcp-proxy.js';
import { NGINX_BIN, startNginx } from './deploy/nginx.js';
import { freshSchemaUrl } from './records/pg-schema.js';
import http from 'node:http';
import type { SimCallResult } from '../scripts/sim-caller/sim-caller.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

/**
 * `npm start`'s node flags and entry, read from package.json so the test runs exactly what production runs. The
 * script is `exec node …`: the shell npm starts becomes node, so a SIGTERM sent to npm reaches the server.
 */
async function startCommand(): Promise<{ flags: string[]; entry: string }> {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [exec, command, ...rest] = (pkg.scripts.start ?? '').split(/\s+/);
  const entry = rest.pop();
  if (exec !== 'exec' || command !== 'node' || entry === undefined || !entry.startsWith('dist/')) {
    throw new Error(`npm start is expected to be "exec node [flags] dist/…", got ${JSON.stringify(pkg.scripts.start)}`);
  }
  return { flags: rest, entry: path.join(ROOT, entry) };
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running: Started[] = [];
const tempDirs: string[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) {
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGKILL');
      await started.exited;
    }
  }
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `npm start`'s command in a fresh working directory holding `dotEnv` as its .env (when given); with `viaNpm`,
 * runs `npm start` itself (npm 11 starts `sh -c` with the script, whose `exec` makes the shell node).
 */
async function start(env: Record<string, string>, dotEnv?: string, viaNpm = false): Promise<Started & { cwd: string }> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'voicebot-start-'));
  tempDirs.push(cwd);
  if (dotEnv !== undefined) await writeFile(path.join(cwd, '.env'), dotEnv);
  const { flags, entry } = await startCommand();
  // Only what we pass: no variable from the test runner's environment (or a developer's shell) leaks in. npm runs
  // the script in the package's directory, so DATA_DIR is made absolute.
  const child = viaNpm
    ? spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env, DATA_DIR: path.join(cwd, 'data') }, stdio: 'pipe' })
    : spawn(process.execPath, [...flags, entry], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const started = { child, stdout: () => stdout, stderr: () => stderr, exited, cwd };
  running.push(started);
  return started;
}

/** Resolves with the port from Fastify's "Server listening at http://127.0.0.1:<port>" line; fails if the server exits. */
async function listeningPort(started: Started): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(started.stdout());
    if (match?.[1]) return Number(match[1]);
    if (started.child.exitCode !== null) throw new Error(`server exited with ${started.child.exitCode}: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not listen within 60 s; stdout: ${started.stdout()} stderr: ${started.stderr()}`);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the production build (npm run build, npm start)', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
  }, 300_000);

  it('compiles src/ to dist/ as JavaScript with source maps, with nothing that loads tsx', async () => {
    const files = await filesUnder(DIST);
    expect(files).toContain(path.join(DIST, 'main.js'));
    expect(files).toContain(path.join(DIST, 'main.js.map'));
    expect(files).toContain(path.join(DIST, 'domain/worker/intent-worker.js'));
    for (const file of files.filter((name) => name.endsWith('.js') || name.endsWith('.mjs'))) {
      expect(await readFile(file, 'utf8'), file).not.toMatch(/from ['"]tsx|import\(['"]tsx/);
    }
  });

  it('starts from dist/ with part of its configuration in .env, serves the health route and stops on SIGTERM', async () => {
    const started = await start(
      { PUBLIC_BASE_URL: 'https://bot.example.com', HOST: '127.0.0.1', PORT: '0', DATA_DIR: 'data', LOG_LEVEL: 'info' },
      // Required variables only .env provides: the server cannot start unless it read the file. The auth token has a
      // real one's shape (32 hex digits).
      'TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef\nOPENAI_REALTIME_URL=ws://127.0.0.1:9/v1/realtime\n',
    );
    const port = await listeningPort(started);
    // The server listens only once the intent worker thread has booted from the compiled worker entry.
    expect(started.stdout()).toContain('intent worker ready');

    const response = await fetch(`http://127.0.0.1:${port}${HEALTH_PATH}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.stdout()).toContain('"signal":"SIGTERM"');
    expect(started.stderr()).toBe('');
  });

  it('exits 1 with one message naming a missing variable and where variables are read from', async () => {
    const started = await start({ PUBLIC_BASE_URL: 'https://bot.example.com', OPENAI_REALTIME_URL: 'ws://127.0.0.1:9/v1/realtime' });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toMatch(/^Invalid configuration: TWILIO_AUTH_TOKEN is required\. Variables are read from the environment and from \.env/);
  });
});

/** Polls until `predicate` holds for the server's output; fails after `timeoutMs`. */
async function outputShows(started: Started, predicate: (stdout: string) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(started.stdout())) {
    if (Date.now() > deadline) throw new Error(`server output never matched; stdout: ${started.stdout()} stderr: ${started.stderr()}`);
    if (started.child.exitCode !== null) throw new Error(`server exited with ${started.child.exitCode}: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The JSON log lines with message `msg`. */
function logLines(stdout: string, msg: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('graceful drain of the production build (SIGTERM during a call)', { timeout: 90_000 }, () => {
  let realtime: RealtimeFakeServer | undefined;
  beforeAll(async () => {
    // The other describe block builds dist/ first (vitest runs a file's blocks in order).
    realtime = await RealtimeFakeServer.start();
  });
  afterEach(async () => {
    await realtime?.close();
    realtime = await RealtimeFakeServer.start();
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    PUBLIC_BASE_URL: PROCESS_PUBLIC_BASE_URL,
    TWILIO_AUTH_TOKEN: PROCESS_AUTH_TOKEN,
    OPENAI_REALTIME_URL: realtime?.url ?? '',
    OPENAI_API_KEY: 'test-key',
    CLASSIFIER: 'keyword',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: 'data',
    LOG_LEVEL: 'info',
    DRAIN_GRACE_S: '1',
    ...extra,
  });

  for (const viaNpm of [false, true]) {
    it(`${viaNpm ? 'npm start' : 'the server process'}: SIGTERM mid-call lets the call finish, /readyz says 503, new calls are refused after the grace, exit 0 with every line written`, async () => {
      const started = await start(env(), undefined, viaNpm);
      const port = await listeningPort(started);
      const origin = `http://127.0.0.1:${port}`;
      expect((await fetch(`${origin}${READY_PATH}`)).status).toBe(200);

      const call = placeProcessCall({ origin, durationMs: 4_000 });
      await outputShows(started, (out) => out.includes('media stream started'));
      const signalledAt = Date.now();
      started.child.kill('SIGTERM');
      await outputShows(started, (out) => out.includes('drain started'));
      const ready = await fetch(`${origin}${READY_PATH}`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'draining' });
      expect((await fetch(`${origin}${HEALTH_PATH}`)).status).toBe(200);

      // After the grace period a new call's webhook is refused (before its signature is even read).
      await outputShows(started, (out) => out.includes('new calls refused'));
      const refused = await fetch(`${origin}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CAlate' });
      expect(refused.status).toBe(503);

      const result = await call;
      expect(result.endedBy).toBe('caller');
      expect(result.durationMs).toBeGreaterThanOrEqual(3_900);
      expect(result.violations).toEqual([]);
      expect(await started.exited).toBe(0);
      const exitedAfterMs = Date.now() - signalledAt;
      const ended = logLines(started.stdout(), 'call ended');
      expect(ended).toHaveLength(1);
      expect(ended[0]?.reason).not.toBe('server_shutdown');
      const [report] = logLines(started.stdout(), 'drain finished');
      expect(report).toMatchObject({ callsEnded: 0, fallbacksMissed: 0 });
      expect(started.stderr()).toBe('');
      console.log(`[measure] drain (${viaNpm ? 'npm start' : 'node'}): 1 live call, calls cut 0, exit 0 ${exitedAfterMs} ms after SIGTERM`);
    });
  }

  it('a call still live at DRAIN_TIMEOUT_S is ended with a closing line, not the apology, and the process exits 0', async () => {
    const started = await start(env({ DRAIN_GRACE_S: '0', DRAIN_TIMEOUT_S: '2' }));
    const port = await listeningPort(started);
    const call = placeProcessCall({ origin: `http://127.0.0.1:${port}`, durationMs: 20_000, noHangup: true });
    await outputShows(started, (out) => out.includes('media stream started'));
    started.child.kill('SIGTERM');
    const result = await call;
    expect(result.endedBy).toBe('server');
    expect(result.actionResponse?.status).toBe(200);
    expect(result.actionResponse?.body).toBe(renderSayAndHangup(SHUTDOWN_CLOSING_LINE));
    expect(await started.exited).toBe(0);
    expect(logLines(started.stdout(), 'call ended')[0]).toMatchObject({ reason: 'server_shutdown' });
    expect(logLines(started.stdout(), 'drain finished')[0]).toMatchObject({ callsEnded: 1, fallbacksMissed: 0 });
  });
});

/** GETs `url` on a connection of its own; resolves the status. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe.runIf(TEST_DATABASE_URL)('two instances sharing PostgreSQL behind a round-robin proxy (TEST_DATABASE_URL)', { timeout: 180_000 }, () => {
  const balancers = [
    { name: 'a Node TCP proxy', runs: true, schema: 'multi_instance' },
    { name: 'real nginx with deploy/nginx/round-robin.conf', runs: NGINX_BIN !== undefined, schema: 'multi_instance_nginx' },
  ];
  for (const balancer of balancers) it.runIf(balancer.runs)(`20 calls behind ${balancer.name}, each with its webhook answered by one instance and its media stream served by the other, all work`, async () => {
    const realtime = await RealtimeFakeServer.start();
    const databaseUrl = await freshSchemaUrl(TEST_DATABASE_URL as string, balancer.schema);
    const env = {
      PUBLIC_BASE_URL: PROCESS_PUBLIC_BASE_URL,
      TWILIO_AUTH_TOKEN: PROCESS_AUTH_TOKEN,
      OPENAI_REALTIME_URL: realtime.url,
      OPENAI_API_KEY: 'test-key',
      CLASSIFIER: 'keyword',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: 'data',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      DRAIN_GRACE_S: '0',
    };
    // One after the other: the first applies the migrations (the second would wait on the advisory lock anyway).
    const a = await start(env);
    const portA = await listeningPort(a);
    const b = await start(env);
    const portB = await listeningPort(b);
    const proxy = balancer.schema === 'multi_instance' ? await startTcpProxy([portA, portB]) : await startNginx('round-robin.conf', [portA, portB]);
    const origin = `http://127.0.0.1:${proxy.port}`;
    const startedAt = Date.now();
    try {
      const calls: Promise<SimCallResult>[] = [];
      for (let i = 0; i < 20; i += 1) {
        // One extra connection halfway flips which instance gets the webhooks: both directions are crossed.
        if (i === 10) expect(await getOnNewConnection(`${origin}${READY_PATH}`)).toBe(200);
        let mediaOpen: () => void = () => undefined;
        const opened = new Promise<void>((resolve) => (mediaOpen = resolve));
        const call = placeProcessCall({ origin, durationMs: 3_000, connectionPerRequest: true, onMediaOpen: () => mediaOpen() });
        calls.push(call);
        // The next call's webhook connects only once this call's media socket is open, so connections alternate.
        await Promise.race([opened, call.then(() => undefined, () => undefined)]);
      }
      const results = await Promise.all(calls);
      for (const result of results) {
        expect(result.endedBy).toBe('caller');
        expect(result.violations).toEqual([]);
        expect(result.durationMs).toBeGreaterThanOrEqual(2_900);
      }
      const answeredBy = (started: Started, callSid: string): boolean =>
        logLines(started.stdout(), 'call answered').some((line) => line.callSid === callSid);
      const streamedBy = (started: Started, callSid: string): boolean =>
        logLines(started.stdout(), 'media stream started').some((line) => line.callSid === callSid);
      const crossed = { aToB: 0, bToA: 0 };
      for (const { callSid } of results) {
        if (answeredBy(a, callSid) && streamedBy(b, callSid)) crossed.aToB += 1;
        if (answeredBy(b, callSid) && streamedBy(a, callSid)) crossed.bToA += 1;
      }
      expect(crossed).toEqual({ aToB: 10, bToA: 10 });
      // Every call ended normally on the instance that served its stream (the teardown after the caller's `stop`
      // finishes a moment later), none refused its token.
      const endedLines = (): number => logLines(a.stdout(), 'call ended').length + logLines(b.stdout(), 'call ended').length;
      const deadline = Date.now() + 10_000;
      while (endedLines() < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(endedLines()).toBe(20);
      expect(`${a.stdout()}${b.stdout()}`).not.toContain('media stream token refused');
      // Each call's pre-warm, on the instance that answered it, was closed by the other's announcement, not the TTL.
      const released = (): number =>
        logLines(a.stdout(), 'pre-warmed session released: the stream started on another instance').length +
        logLines(b.stdout(), 'pre-warmed session released: the stream started on another instance').length;
      expect(released()).toBe(20);
      expect(`${a.stdout()}${b.stdout()}`).not.toContain('no media stream came for a pre-warmed session');
      console.log(
        `[measure] 2 instances behind ${balancer.name}: 20/20 calls worked, ${crossed.aToB + crossed.bToA} with webhook and media on different instances, ${realtime.totalConnections} Realtime sessions opened (20 cold at the media instance + 20 pre-warms, ${released()} of them released by announcement), ${Date.now() - startedAt} ms`,
      );
    } finally {
      await ('close' in proxy ? proxy.close() : proxy.stop());
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
      await realtime.close();
    }
  });

  it.runIf(NGINX_BIN)('behind real nginx with deploy/nginx/route-by-instance.conf (STREAM_ROUTE_BY_INSTANCE): every stream reaches the instance that answered and pre-warmed its call', async () => {
    const realtime = await RealtimeFakeServer.start();
    const databaseUrl = await freshSchemaUrl(TEST_DATABASE_URL as string, 'route_by_instance');
    const env = (instanceId: string): Record<string, string> => ({
      PUBLIC_BASE_URL: PROCESS_PUBLIC_BASE_URL,
      TWILIO_AUTH_TOKEN: PROCESS_AUTH_TOKEN,
      OPENAI_REALTIME_URL: realtime.url,
      OPENAI_API_KEY: 'test-key',
      CLASSIFIER: 'keyword',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: 'data',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      DRAIN_GRACE_S: '0',
      INSTANCE_ID: instanceId,
      STREAM_ROUTE_BY_INSTANCE: 'true',
    });
    const a = await start(env('bot-1'));
    const portA = await listeningPort(a);
    const b = await start(env('bot-2'));
    const portB = await listeningPort(b);
    const nginx = await startNginx('route-by-instance.conf', [portA, portB]);
    const origin = `http://127.0.0.1:${nginx.port}`;
    try {
      const calls: Promise<SimCallResult>[] = [];
      for (let i = 0; i < 6; i += 1) {
        let mediaOpen: () => void = () => undefined;
        const opened = new Promise<void>((resolve) => (mediaOpen = resolve));
        const call = placeProcessCall({ origin, durationMs: 2_000, connectionPerRequest: true, onMediaOpen: () => mediaOpen() });
        calls.push(call);
        await Promise.race([opened, call.then(() => undefined, () => undefined)]);
      }
      const results = await Promise.all(calls);
      for (const result of results) {
        expect(result.endedBy).toBe('caller');
        expect(result.violations).toEqual([]);
      }
      const served = (started: Started, msg: string): string[] => logLines(started.stdout(), msg).map((line) => String(line.callSid));
      // The webhooks were round robin, and each stream went back to the instance that answered its call.
      expect(served(a, 'call answered')).toHaveLength(3);
      expect(served(b, 'call answered')).toHaveLength(3);
      expect(served(a, 'media stream started').sort()).toEqual(served(a, 'call answered').sort());
      expect(served(b, 'media stream started').sort()).toEqual(served(b, 'call answered').sort());
      // So every call adopted its pre-warmed session: one Realtime session per call, none opened cold or released.
      const started = [...logLines(a.stdout(), 'call started'), ...logLines(b.stdout(), 'call started')];
      expect(started.map((line) => line.prewarmed)).toEqual([true, true, true, true, true, true]);
      expect(realtime.totalConnections).toBe(6);
      expect(`${a.stdout()}${b.stdout()}`).not.toContain('pre-warmed session released');
      console.log(`[measure] 2 instances behind nginx route-by-instance: 6/6 calls streamed back to their answering instance, 6 Realtime sessions for 6 calls (all pre-warmed)`);
    } finally {
      await nginx.stop();
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
      await realtime.close();
    }
  });

  it('SIGTERM to one instance mid-call: its calls finish there, new calls go to the other (the proxy skips a 503 /readyz), none lost', async () => {
    const realtime = await RealtimeFakeServer.start();
    const databaseUrl = await freshSchemaUrl(TEST_DATABASE_URL as string, 'kill_one_instance');
    const env = {
      PUBLIC_BASE_URL: PROCESS_PUBLIC_BASE_URL,
      TWILIO_AUTH_TOKEN: PROCESS_AUTH_TOKEN,
      OPENAI_REALTIME_URL: realtime.url,
      OPENAI_API_KEY: 'test-key',
      CLASSIFIER: 'keyword',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: 'data',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      // The balancer polls /readyz every 100 ms: a second of grace is ten checks. Live calls have all the time they need.
      DRAIN_GRACE_S: '1',
      DRAIN_TIMEOUT_S: '120',
    };
    const a = await start(env);
    const portA = await listeningPort(a);
    const b = await start(env);
    const portB = await listeningPort(b);
    const proxy = await startTcpProxy([portA, portB], { healthPath: READY_PATH, healthIntervalMs: 100 });
    const origin = `http://127.0.0.1:${proxy.port}`;
    const placeInTurn = async (count: number, durationMs: number, flipAt?: number): Promise<Promise<SimCallResult>[]> => {
      const calls: Promise<SimCallResult>[] = [];
      for (let i = 0; i < count; i += 1) {
        // One extra connection flips which instance gets the webhooks, so both serve streams.
        if (i === flipAt) expect(await getOnNewConnection(`${origin}${READY_PATH}`)).toBe(200);
        let mediaOpen: () => void = () => undefined;
        const opened = new Promise<void>((resolve) => (mediaOpen = resolve));
        const call = placeProcessCall({ origin, durationMs, connectionPerRequest: true, onMediaOpen: () => mediaOpen() });
        calls.push(call);
        await Promise.race([opened, call.then(() => undefined, () => undefined)]);
      }
      return calls;
    };
    try {
      // Six calls live on both instances (webhook and media alternate, so each instance serves three streams).
      const live = await placeInTurn(6, 8_000, 3);
      const streamsOn = (started: Started): number => logLines(started.stdout(), 'media stream started').length;
      await outputShows(a, () => streamsOn(a) + streamsOn(b) === 6);
      const liveOnA = streamsOn(a);
      expect([liveOnA, streamsOn(b)]).toEqual([3, 3]);

      const signalledAt = Date.now();
      a.child.kill('SIGTERM');
      await proxy.health(0, false);
      const noticedAfterMs = Date.now() - signalledAt;
      const routedBefore = proxy.routed.length;
      // New calls while A drains: every connection goes to B.
      const late = await placeInTurn(4, 2_000);
      const results = await Promise.all([...live, ...late]);
      for (const result of results) {
        expect(result.endedBy).toBe('caller');
        expect(result.violations).toEqual([]);
      }
      expect(proxy.routed.slice(routedBefore).every((index) => index === 1)).toBe(true);
      expect(proxy.routed.length - routedBefore).toBe(8);

      expect(await a.exited).toBe(0);
      const exitedAfterMs = Date.now() - signalledAt;
      // A served its own streams to their natural end: none cut, every one logged as ended before the exit.
      const endedA = logLines(a.stdout(), 'call ended');
      expect(endedA).toHaveLength(liveOnA);
      expect(endedA.every((line) => line.reason !== 'server_shutdown')).toBe(true);
      expect(logLines(a.stdout(), 'drain finished')[0]).toMatchObject({ callsEnded: 0, fallbacksMissed: 0 });
      // A's pre-warms of the calls whose streams B served were closed on B's announcement, not held to the TTL.
      const releasedOnA = logLines(a.stdout(), 'pre-warmed session released: the stream started on another instance').length;
      const answeredOnAStreamedOnB = logLines(a.stdout(), 'call answered').filter((line) =>
        logLines(b.stdout(), 'media stream started').some((s) => s.callSid === line.callSid),
      ).length;
      expect(releasedOnA).toBe(answeredOnAStreamedOnB);
      expect(a.stdout()).not.toContain('no media stream came for a pre-warmed session');
      const endedLines = (): number => logLines(a.stdout(), 'call ended').length + logLines(b.stdout(), 'call ended').length;
      const deadline = Date.now() + 10_000;
      while (endedLines() < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(endedLines()).toBe(10);
      expect(a.stderr()).toBe('');
      console.log(
        `[measure] kill one of 2 instances mid-call: 6 live calls (${liveOnA} streaming on the killed one) + 4 placed during its drain, 10/10 ended by the caller, calls cut 0; proxy skipped it ${noticedAfterMs} ms after SIGTERM; it exited 0 ${exitedAfterMs} ms after SIGTERM; ${releasedOnA} pre-warms released by announcement`,
      );
    } finally {
      await proxy.close();
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await a.exited;
      expect(await b.exited).toBe(0);
      await realtime.close();
    }
  });
});
