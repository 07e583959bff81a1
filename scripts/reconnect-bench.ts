/**
 * `npm run bench -- --section reconnect`: the pause a caller hears when the Realtime session drops mid-reply. Each
 * run is a whole call on loopback (the real server, the Realtime fake with production timing: session open 300 ms,
 * first audio 800 ms, audio at real time, transcripts after 450 ms; the simulated Twilio caller playing bot audio at
 * 8 bytes/ms): greeting, a question, and 1.2 s into the answer the fake closes the socket. Measured per run:
 * - drop → new session ready: the server's own `realtime session reconnected` (drop seen → session open, seeded);
 * - heard gap: the end of the last bot audio the caller heard from before the drop → the start of the first audio
 *   after it (what was already queued at Twilio keeps playing through part of the reconnect);
 * - drop → first new audio at the caller.
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { REALTIME_AUDIO_FORMATS, type RealtimeAudioFormatName } from '../src/audio/audio-format.js';
import { muLawEncode } from '../src/audio/mulaw.js';
import { loadConfig } from '../src/config.js';
import { buildSyntheticCall } from '../src/fixtures/synthetic-call.js';
import { createMemoryCheckpointer } from '../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../src/logger.js';
import { createVoiceBot } from '../src/server.js';
import { REALISTIC_REALTIME_TIMING, RealtimeFakeServer } from '../fakes/realtime-server.js';
import { networkTransport } from './sim-caller/network-transport.js';
import { runSimulatedCall } from './sim-caller/sim-caller.js';
import { quantile } from './bench/measure.js';

const PUBLIC_BASE_URL = 'https://bench.example.test';
const AUTH_TOKEN = 'b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7';
/** How long into the answer's first audio the session drops. */
const DROP_AFTER_MS = 1_200;

/** One run's figures, in ms. */
export interface ReconnectSample {
  readonly format: RealtimeAudioFormatName;
  readonly dropToReadyMs: number;
  readonly heardGapMs: number;
  readonly dropToNewAudioMs: number;
}

/** The section's report; renders itself. */
export interface ReconnectReport {
  readonly kind: 'reconnect';
  readonly title: string;
  readonly text: string;
  readonly samples: readonly ReconnectSample[];
}

function tone(ms: number): Uint8Array {
  const pcm = new Int16Array(ms * 8);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8_000 * Math.sin((2 * Math.PI * 300 * i) / 8_000));
  return muLawEncode(pcm);
}

async function runOnce(format: RealtimeAudioFormatName, n: number): Promise<ReconnectSample> {
  const fake = await RealtimeFakeServer.start({
    script: {
      greeting: { transcript: 'Hello, thanks for calling.', durationMs: 1_200 },
      turns: [{ userTranscript: 'What is my balance?', reply: { transcript: 'Your balance is forty two dollars and ten cents, due on the first.', durationMs: 5_000 } }],
      textReply: { transcript: 'As I was saying, forty two dollars and ten cents.', durationMs: 2_000 },
    },
    ...REALISTIC_REALTIME_TIMING,
    transcriptDelayMs: 450,
  });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword', REALTIME_AUDIO_FORMAT: format });
  const bot = await createVoiceBot(config, { logger: createLogger('info', sink), store: createMemoryCheckpointer() });
  const callSid = `CAbenchreconnect${format}${String(n).padStart(4, '0')}`;
  try {
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = bot.app.server.address() as AddressInfo;
    const fixture = buildSyntheticCall({
      name: `reconnect-${format}-${n}`,
      description: 'bench',
      expect: {},
      firstTimestampMs: 52,
      accountSid: 'AC00000000000000000000000000000001',
      callSid,
      streamSid: `MZbenchreconnect${format}${String(n).padStart(4, '0')}`,
      customParameters: {},
      steps: [
        { kind: 'silence', ms: 3_000 },
        { kind: 'speech', transcript: 'What is my balance?', audio: tone(900) },
        { kind: 'silence', ms: 9_000 },
      ],
    });
    let t0 = performance.now();
    let dropAtCallMs = Number.NaN;
    const dropping = (async () => {
      await fake.waitForServerEvent('response.done', 15_000);
      const greetingDeltas = fake.serverEvents('response.output_audio.delta').length;
      while (fake.serverEvents('response.output_audio.delta').length <= greetingDeltas) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, DROP_AFTER_MS));
      dropAtCallMs = performance.now() - t0;
      fake.dropConnections(1011, 'bench drop');
    })();
    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${port}` }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      callSid,
      speed: 1,
      onLog: (entry) => {
        if (entry.text.startsWith('media stream open')) t0 = performance.now() - entry.atMs;
      },
    });
    await dropping;
    const reconnected = lines.find((l) => l.msg === 'realtime session reconnected');
    if (!reconnected) throw new Error(`run ${format} #${n}: no reconnect logged`);
    const stretches = result.playback.speechStretches();
    const before = stretches.filter((s) => s.startMs < dropAtCallMs).at(-1);
    const after = stretches.find((s) => s.startMs > (before?.endMs ?? dropAtCallMs));
    if (!before || !after) throw new Error(`run ${format} #${n}: no audio around the drop`);
    return {
      format,
      dropToReadyMs: Number(reconnected.gapMs),
      heardGapMs: Math.round(after.startMs - before.endMs),
      dropToNewAudioMs: Math.round(after.startMs - dropAtCallMs),
    };
  } finally {
    await bot.close();
    await fake.close();
  }
}

/** Runs `runs` calls per wire format, one at a time (the timings are the measure). */
export async function runReconnectBench(runs = 3): Promise<ReconnectReport> {
  const samples: ReconnectSample[] = [];
  for (const format of REALTIME_AUDIO_FORMATS) for (let n = 0; n < runs; n++) samples.push(await runOnce(format, n));
  const row = (label: string, values: number[]): string =>
    `| ${label} | ${Math.round(quantile(values, 0.5))} | ${Math.round(Math.max(...values))} |`;
  const text = [
    '| measure (ms) | p50 | max |',
    '|---|---|---|',
    ...REALTIME_AUDIO_FORMATS.flatMap((format) => {
      const of = samples.filter((s) => s.format === format);
      return [
        row(`${format}: drop → new session ready (seeded)`, of.map((s) => s.dropToReadyMs)),
        row(`${format}: heard gap (last old audio → first new audio)`, of.map((s) => s.heardGapMs)),
        row(`${format}: drop → first new audio at the caller`, of.map((s) => s.dropToNewAudioMs)),
      ];
    }),
    `  ${runs} calls per format; the fake drops ${DROP_AFTER_MS} ms into the answer's audio; backoff 250 ms, session open 300 ms,`,
    '  first audio 800 ms after response.create (REALISTIC_REALTIME_TIMING): the floor is ~1.35 s of drop → new audio.',
  ].join('\n');
  return { kind: 'reconnect', title: 'Realtime drop mid-reply: the pause the caller hears', text, samples };
}
