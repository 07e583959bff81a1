/**
 * Measures the silence at the start of a call the way a new user meets it on `npm run dev`: the dev tunnel runs on
 * fakes (ngrok, Twilio's number API) with the real server behind it, a Realtime fake with the real API's timing
 * answers, and the simulated caller dials the voice webhook the fake number was pointed at. Two numbers come out:
 * the caller's time from the voice webhook to the greeting's first audio, and the server's own `first audio` log line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { twilioPhoneNumberWebhooks } from '../../src/dev-tunnel/phone-number-webhooks.js';
import { fileRestoreRecordStore } from '../../src/dev-tunnel/restore-record.js';
import { startDevTunnel } from '../../src/dev-tunnel/run-dev-tunnel.js';
import { buildSyntheticCall } from '../../src/fixtures/synthetic-call.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot } from '../../src/server.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { FakeTwilioNumbers, fakeNumber } from '../../fakes/twilio-numbers.js';
import { networkTransport } from '../sim-caller/network-transport.js';
import { runSimulatedCall } from '../sim-caller/sim-caller.js';

const AUTH_TOKEN = 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const PHONE_NUMBER = '+15550100123';
const TUNNEL_URL = 'https://first-audio.ngrok.test';

/** The timing the fakes play; every field in milliseconds except `realtimeFactor`. */
export interface FirstAudioTiming {
  /** The Realtime fake's time from `response.create` to the first audio delta (the real model: ~600–1200). */
  readonly firstAudioDelayMs: number;
  /** The Realtime fake's hold on each WebSocket upgrade (TLS and upgrade to the real endpoint). */
  readonly connectDelayMs: number;
  /** The caller's wait between the webhook's TwiML and opening the media socket (Twilio's call setup). */
  readonly streamOpenDelayMs: number;
  /** 1 streams the model's audio in real time. */
  readonly realtimeFactor: number;
}

/** What one measured call gave. */
export interface FirstAudioMeasurement {
  readonly prewarm: boolean;
  /** Voice webhook sent → first bot audio received, at the simulated caller. */
  readonly callerMs: number;
  /** The server's `first audio` log line (pino JSON), as `npm run dev` prints it. */
  readonly serverLine: Readonly<Record<string, unknown>>;
  /** `msSinceWebhook` of that line. */
  readonly serverMs: number;
  /** What the dev tunnel printed (rewiring and restoring the fake number). */
  readonly devOutput: readonly string[];
}

/** Runs one call through the dev tunnel on fakes, with or without pre-warm, and returns both measurements. */
export async function measureFirstAudio(options: { readonly prewarm: boolean; readonly timing: FirstAudioTiming }): Promise<FirstAudioMeasurement> {
  const { timing } = options;
  const realtime = await RealtimeFakeServer.start({
    script: { greeting: { transcript: 'Thanks for calling Northwind Internet, how can I help?', durationMs: 1_500 } },
    realtimeFactor: timing.realtimeFactor,
    firstAudioDelayMs: timing.firstAudioDelayMs,
    acceptDelayMs: timing.connectDelayMs,
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'first-audio-'));
  const serverLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) serverLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const devOutput: string[] = [];
  const rest = new FakeTwilioNumbers([fakeNumber({ phoneNumber: PHONE_NUMBER, voiceUrl: 'https://old.example.com/voice' })]);
  let listeningPort: number | undefined;
  try {
    const session = await startDevTunnel({
      config: {
        ngrokAuthtoken: 'fake-ngrok-token',
        ngrokDomain: undefined,
        twilioAccountSid: ACCOUNT_SID,
        twilioAuthToken: AUTH_TOKEN,
        twilioPhoneNumber: PHONE_NUMBER,
        port: 0,
        dataDir,
      },
      // The server as scripts/dev.ts starts it, with the Realtime fake as its endpoint and a free loopback port.
      startServer: async (publicBaseUrl) => {
        const config = loadConfig({
          PUBLIC_BASE_URL: publicBaseUrl,
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          OPENAI_REALTIME_URL: realtime.url,
          CLASSIFIER: 'keyword',
          HOST: '127.0.0.1',
          PORT: '0',
          DATA_DIR: dataDir,
        });
        const bot = await createVoiceBot(config, {
          logger: createLogger('info', sink),
          store: createMemoryCheckpointer(),
          orchestratorThread: 'main',
          prewarm: options.prewarm,
        });
        await bot.app.listen({ host: config.host, port: config.port });
        listeningPort = (bot.app.server.address() as AddressInfo).port;
        return bot;
      },
      // ngrok's fake: a public name that the caller reaches on loopback (`connectBaseUrl` below).
      openTunnel: async () => ({ url: TUNNEL_URL, close: async () => {} }),
      phoneNumbers: twilioPhoneNumberWebhooks(rest),
      restoreRecords: fileRestoreRecordStore(dataDir),
      isProcessRunning: () => false,
      pid: process.pid,
      onSignal: () => () => {},
      exit: () => {},
      print: (line) => devOutput.push(line),
    });
    try {
      // Twilio rings the number: it calls whatever the number's voice webhook now is.
      const number = rest.numbers[0];
      if (!number?.voiceUrl || !number.statusCallback || listeningPort === undefined) throw new Error('the dev tunnel did not point the number at the server');
      const voiceUrl = new URL(number.voiceUrl);
      const call = await runSimulatedCall({
        transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${listeningPort}` }),
        fixture: buildSyntheticCall({
          name: 'first-audio',
          description: 'the caller listens to the greeting in silence, then hangs up',
          expect: {},
          firstTimestampMs: 52,
          accountSid: ACCOUNT_SID,
          callSid: `CA${'0'.repeat(31)}${options.prewarm ? '1' : '2'}`,
          streamSid: `MZ${'0'.repeat(31)}${options.prewarm ? '1' : '2'}`,
          customParameters: {},
          steps: [{ kind: 'silence', ms: 2_500 }, { kind: 'hangup' }],
        }),
        publicBaseUrl: voiceUrl.origin,
        voicePath: voiceUrl.pathname,
        statusCallbackPath: new URL(number.statusCallback).pathname,
        authToken: AUTH_TOKEN,
        from: '+15550000001',
        to: PHONE_NUMBER,
        streamOpenDelayMs: timing.streamOpenDelayMs,
      });
      if (call.webhookToFirstAudioMs === undefined) throw new Error('the caller heard no bot audio');
      const serverLine = serverLines.find((line) => line.msg === 'first audio');
      if (serverLine === undefined || typeof serverLine.msSinceWebhook !== 'number') throw new Error('the server logged no first audio line');
      return { prewarm: options.prewarm, callerMs: call.webhookToFirstAudioMs, serverLine, serverMs: serverLine.msSinceWebhook, devOutput };
    } finally {
      await session.stop();
    }
  } finally {
    await realtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
