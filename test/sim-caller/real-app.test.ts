import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { injectTransport } from '../../scripts/sim-caller/inject-transport.js';
import { runSimulatedCall } from '../../scripts/sim-caller/sim-caller.js';
import { REALTIME_AUDIO_FORMATS, serviceSampleRateHz, type RealtimeAudioFormatName } from '../../src/audio/audio-format.js';
import { FRAME_MS } from '../../src/audio/constants.js';
import { loadConfig } from '../../src/config.js';
import { readFixture } from '../../src/fixtures/call-fixture.js';
import { callRecordingDecorator } from '../../src/fixtures/recording-media-socket.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import type { CallHandler, IncomingCall, StartedStream, StatusCallback } from '../../src/telephony/call-handler.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';
const FIXTURES = path.resolve('test/fixtures/calls');
const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();

/** A loud tone at the service's rate for `format`, standing in for the bot's speech. */
function botSpeech(format: RealtimeAudioFormatName, ms: number): Int16Array {
  const rateHz = serviceSampleRateHz(format);
  const pcm = new Int16Array((ms * rateHz) / 1000);
  for (let i = 0; i < pcm.length; i += 1) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rateHz));
  return pcm;
}

/** What one call looked like from the call wiring's side. */
interface HandlerRecord {
  answered: IncomingCall[];
  starts: StartedStream['start'][];
  digits: string;
  stops: number;
  closed: { reason: string; code: number }[];
  inboundSamples: number;
  marks: string[];
  statuses: StatusCallback[];
}

/**
 * A recording call handler: the bot greets with one second of audio, answers each DTMF digit with `clear`
 * (as barge-in would), and optionally ends the call itself after `hangUpAfterDigits` digits.
 */
function recordingHandler(format: RealtimeAudioFormatName, options: { hangUpAfterDigits?: number } = {}): { handler: CallHandler; record: HandlerRecord; done: Promise<void> } {
  const record: HandlerRecord = { answered: [], starts: [], digits: '', stops: 0, closed: [], inboundSamples: 0, marks: [], statuses: [] };
  let finished: () => void = () => {};
  // Resolves when the socket is gone on the server side, the last thing a call's teardown sees.
  const done = new Promise<void>((resolve) => (finished = resolve));
  const handler: CallHandler = {
    onCallAnswered: (call) => record.answered.push(call),
    onStreamStarted({ start, transport }) {
      record.starts.push(start);
      transport.on('dtmf', ({ digit }) => {
        record.digits += digit;
        transport.clear();
        if (record.digits.length === options.hangUpAfterDigits) transport.close('bot hung up');
      });
      transport.on('mark', ({ name }) => record.marks.push(name));
      transport.on('stop', () => (record.stops += 1));
      transport.on('closed', (closed) => {
        record.closed.push(closed);
        finished();
      });
      transport.sendAudio('greeting', botSpeech(format, 1000));
      transport.endItem('greeting');
      void (async () => {
        for await (const chunk of transport.inboundAudio()) record.inboundSamples += chunk.length;
      })();
    },
    streamEndedTwiml: () => '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>',
    onStatus: (status) => record.statuses.push(status),
  };
  return { handler, record, done };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function appWith(format: RealtimeAudioFormatName, handler: CallHandler, recordCallsDir?: string): Promise<FastifyInstance> {
  const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: 'ws://127.0.0.1:9', REALTIME_AUDIO_FORMAT: format });
  const decorateMediaSocket = callRecordingDecorator({ recordCallsDir });
  const app = await buildApp({ config, logger: createLogger('silent'), callHandler: handler, ...(decorateMediaSocket ? { decorateMediaSocket } : {}) });
  apps.push(app);
  return app;
}

describe.each(REALTIME_AUDIO_FORMATS)('simulated caller against the real app, REALTIME_AUDIO_FORMAT=%s', (format) => {
  describe.each(FILES)('replaying %s', (file) => {
    it('delivers the call to the handler as the fixture says: token, audio, digits, teardown', async () => {
      const fixture = await readFixture(path.join(FIXTURES, file));
      const { handler, record, done } = recordingHandler(format);
      const app = await appWith(format, handler);
      const result = await runSimulatedCall({ transport: injectTransport(app), fixture, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, speed: 40 });
      await done;
      expect(record.answered.map((c) => c.callSid)).toEqual([result.callSid]);
      expect(record.starts.map((s) => s.streamSid)).toEqual([result.streamSid]);
      expect(result.violations).toEqual([]);
      expect(record.digits).toBe(fixture.header.expect.dtmf_digits ?? '');
      expect(result.endedBy).toBe(fixture.header.expect.ended_by ?? 'caller');
      expect(record.stops).toBe(1);
      expect(record.closed).toHaveLength(1);
      const frames = fixture.lines.filter((l) => l.msg.event === 'media').length;
      // Every 20 ms frame reaches the call as one frame at the service's rate (160 samples at 8 kHz for pcmu, 480 at
      // 24 kHz for pcm16, where the upsampler may hold back a few).
      const frameSamples = (FRAME_MS * serviceSampleRateHz(format)) / 1000;
      expect(record.inboundSamples).toBeGreaterThan(frames * frameSamples - frameSamples);
      expect(record.inboundSamples).toBeLessThanOrEqual(frames * frameSamples);
      expect(record.statuses.map((s) => s.callStatus)).toContain('completed');
      expect(result.botAudioMs).toBeGreaterThan(900);
    });
  });

  it('echoes the bot audio marks and flushes them on clear, which the transport sees as mark events', async () => {
    const fixture = await readFixture(path.join(FIXTURES, 'dtmf-account-number.jsonl'));
    const { handler, record, done } = recordingHandler(format, { hangUpAfterDigits: 2 });
    const app = await appWith(format, handler);
    // Speed 4 keeps the keys 85 ms apart: at 40 (8.5 ms) a loaded machine could deliver the third key before the
    // hang-up after the second closed the stream.
    const result = await runSimulatedCall({ transport: injectTransport(app), fixture, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, speed: 4 });
    await done;
    expect(record.marks.length).toBeGreaterThan(0);
    expect(result.marks.map((m) => m.name)).toEqual(record.marks);
    expect(result.clears).toHaveLength(2);
    expect(result.endedBy).toBe('server');
    expect(record.digits).toBe('48');
    expect(record.stops).toBe(0);
    expect(result.actionResponse?.status).toBe(200);
    expect(result.actionResponse?.body).toContain('<Hangup/>');
  });

  it('records a live call as a redacted fixture that replays like the original', async () => {
    const source = await readFixture(path.join(FIXTURES, 'dtmf-account-number.jsonl'));
    const dir = mkdtempSync(path.join(tmpdir(), 'recorded-calls-'));
    const first = recordingHandler(format);
    const app = await appWith(format, first.handler, dir);
    const original = await runSimulatedCall({ transport: injectTransport(app), fixture: source, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, speed: 40 });
    await first.done;
    await expect.poll(() => readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    const recorded = await readFixture(path.join(dir, file!));

    const text = JSON.stringify(recorded);
    for (const secret of [original.callSid, original.accountSid, original.streamSid]) expect(text).not.toContain(secret);
    const start = recorded.lines.find((l) => l.msg.event === 'start')!.msg as unknown as { start: { customParameters: Record<string, string> } };
    expect(start.start.customParameters.token).toBe('[redacted]');
    expect(recorded.header.expect).toMatchObject({ dtmf_digits: '4821#', barge_in: true, ended_by: 'caller' });
    const media = (f: typeof source): string[] => f.lines.filter((l) => l.dir === 'in' && l.msg.event === 'media').map((l) => l.msg.media!.payload);
    expect(media(recorded)).toEqual(media(source));
    expect(recorded.lines.some((l) => l.dir === 'out' && l.msg.event === 'media')).toBe(true);
    expect(recorded.lines.some((l) => l.dir === 'in' && l.msg.event === 'mark')).toBe(true);

    const second = recordingHandler(format);
    const replayApp = await appWith(format, second.handler);
    const replay = await runSimulatedCall({ transport: injectTransport(replayApp), fixture: recorded, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, speed: 40 });
    await second.done;
    expect(second.record.digits).toBe('4821#');
    expect(second.record.inboundSamples).toBe(first.record.inboundSamples);
    expect(replay.violations).toEqual([]);
  });
});
