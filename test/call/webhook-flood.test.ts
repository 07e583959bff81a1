/**
 * One client must not stall the others: while a flood of 1 MiB form bodies (~128k empty fields each, with a
 * signature header) hits the voice webhook, live callers' audio reaches the Realtime socket no more than 100 ms
 * later than without the flood. Before the limits, each such body cost 0.3–0.5 s of main-thread work and four of
 * them made a 1.47 s gap on every live call.
 *
 * Latency of a frame = when the Realtime fake had received that frame's samples (cumulative appended samples of the
 * call's connection) minus when the simulated Twilio sent it.
 */
import { DEFAULT_REALTIME_AUDIO_FORMAT, serviceSamplesPerMs } from '../../src/audio/audio-format.js';
import { FRAME_MS } from '../../src/audio/constants.js';
import { appendSamples } from '../fakes/appended-audio.js';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot } from '../../src/server.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { startTwilioCall, type TwilioDriver } from './twilio-driver.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1';
const CALLS = 3;
const ROUNDS = 3;
/** Samples of one 20 ms caller frame on the Realtime wire in the default format. */
const SAMPLES_PER_FRAME = FRAME_MS * serviceSamplesPerMs(DEFAULT_REALTIME_AUDIO_FORMAT);

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Latency (ms) of each frame sent in [fromMs, toMs) on every call. */
function latencies(fake: RealtimeFakeServer, drivers: readonly TwilioDriver[], fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  drivers.forEach((driver, connection) => {
    const appends = fake.clientRecords().filter((r) => r.connection === connection && r.event.type === 'input_audio_buffer.append');
    let cumulative = 0;
    const arrivals = appends.map((r) => ({ atMs: r.atMs, samples: (cumulative += appendSamples(DEFAULT_REALTIME_AUDIO_FORMAT, String(r.event.audio))) }));
    let a = 0;
    driver.frameSentAt.forEach((sentAt, frame) => {
      if (sentAt < fromMs || sentAt >= toMs) return;
      const needed = (frame + 1) * SAMPLES_PER_FRAME;
      while (a < arrivals.length && (arrivals[a]?.samples ?? 0) < needed) a += 1;
      const arrival = arrivals[a];
      if (arrival) out.push(arrival.atMs - sentAt);
    });
  });
  return out;
}

function summary(values: number[]): { frames: number; p50: number; p95: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return { frames: sorted.length, p50: at(0.5), p95: at(0.95), max: Math.round(sorted.at(-1) ?? NaN) };
}

/**
 * The flooding clients, in their own process (an attacker is not on our event loop), at the lowest CPU priority
 * (an attacker's CPU is not on our machine either; on a shared 2-core runner its work would otherwise be measured
 * as our latency). 4 loops write a 1 MiB body of 128k empty fields with a signature header over raw sockets,
 * back to back for `durationMs`, half with Content-Length and half chunked; prints the status counts.
 */
const FLOOD_SCRIPT = `
const net = require('node:net');
const [port, durationMs] = [Number(process.argv[1]), Number(process.argv[2])];
const body = Buffer.from('&'.repeat(1024 * 1024 - 1) + 'x');
const head = (chunked) => Buffer.from('POST /twilio/voice HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n' +
  'Content-Type: application/x-www-form-urlencoded\\r\\nX-Twilio-Signature: bm90LWEtcmVhbC1zaWduYXR1cmU=\\r\\n' +
  (chunked ? 'Transfer-Encoding: chunked\\r\\n' : 'Content-Length: ' + body.length + '\\r\\n') + '\\r\\n');
const chunkedBody = Buffer.concat([Buffer.from(body.length.toString(16) + '\\r\\n'), body, Buffer.from('\\r\\n0\\r\\n\\r\\n')]);
const counts = {};
const until = Date.now() + durationMs;
function once(chunked) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (d) => { response += d.toString('latin1'); });
    socket.on('error', () => {});
    socket.on('close', () => {
      const status = /^HTTP\\/1\\.1 (\\d{3})/.exec(response)?.[1] ?? '-1';
      counts[status] = (counts[status] ?? 0) + 1;
      resolve();
    });
    socket.write(head(chunked));
    socket.end(chunked ? chunkedBody : body);
  });
}
async function loop(chunked) { while (Date.now() < until) await once(chunked); }
Promise.all([0, 1, 2, 3].map((i) => loop(i % 2 === 1))).then(() => process.stdout.write(JSON.stringify(counts)));
`;

function flood(port: number, durationMs: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', FLOOD_SCRIPT, String(port), String(durationMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.pid !== undefined) setPriority(child.pid, 19);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', () => resolve(JSON.parse(out || '{}') as Record<string, number>));
  });
}

describe('a webhook flood does not stall live calls', () => {
  it('keeps live callers\' audio within 100 ms of its unflooded latency while 4 clients post 1 MiB bodies', async () => {
    const fake = await RealtimeFakeServer.start({ script: { greeting: { transcript: 'Hello.', durationMs: 300 } } });
    cleanup.push(() => fake.close());
    const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword' });
    const bot = await createVoiceBot(config, { logger: createLogger('silent'), store: createMemoryCheckpointer() });
    cleanup.push(() => bot.close());
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = bot.app.server.address() as AddressInfo;
    const localUrl = `http://127.0.0.1:${port}`;

    const drivers: TwilioDriver[] = [];
    for (let i = 0; i < CALLS; i++) {
      const driver = await startTwilioCall({ localUrl, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid: `CA_FLOOD_${i}_000000000000000000000000` });
      cleanup.push(() => driver.hangUp());
      drivers.push(driver);
    }
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await pause(500); // greeting done, pipelines warm
    // Rounds of (1 s without, 1.5 s with the flood): the shared 2-core runner has scheduler spikes of its own, so
    // each round compares its own windows and the median round decides. A real stall (hundreds of ms per refused
    // body, as before the limits) shows in every round.
    const rounds: Array<{ baseline: ReturnType<typeof summary>; flooded: ReturnType<typeof summary>; counts: Record<string, number> }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const baselineFrom = performance.now();
      await pause(1_000);
      const flooding = flood(port, 1_700);
      await pause(200); // the child is up and posting
      const floodFrom = performance.now();
      await pause(1_500);
      const floodTo = performance.now();
      const counts = await flooding;
      await pause(200); // the last frames of the window arrive
      rounds.push({
        baseline: summary(latencies(fake, drivers, baselineFrom, floodFrom - 200)),
        flooded: summary(latencies(fake, drivers, floodFrom, floodTo)),
        counts,
      });
    }
    for (const r of rounds) {
      console.info(
        `[measure] flood round: ${Object.values(r.counts).reduce((a, b) => a + b, 0)} requests ${JSON.stringify(r.counts)}; ` +
          `audio latency without ${JSON.stringify(r.baseline)} ms, during ${JSON.stringify(r.flooded)} ms`,
      );
      expect(Object.keys(r.counts).filter((status) => status !== '413' && status !== '-1')).toEqual([]);
      expect(r.counts['413'] ?? 0).toBeGreaterThan(10);
      expect(r.baseline.frames).toBeGreaterThan(CALLS * 30);
      expect(r.flooded.frames).toBeGreaterThan(CALLS * 50);
    }
    const extra = rounds.map((r) => r.flooded.max - r.baseline.max).sort((a, b) => a - b);
    console.info(`[measure] flood: extra max audio latency per round ${JSON.stringify(extra)} ms`);
    expect(extra[Math.floor(extra.length / 2)]).toBeLessThanOrEqual(100);
    expect(bot.calls.activeCalls).toBe(CALLS);
  }, 30_000);
});
