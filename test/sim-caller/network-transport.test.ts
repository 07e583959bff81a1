import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { connectionUrl, networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { runSimulatedCall } from '../../scripts/sim-caller/sim-caller.js';
import { botAudioWav, callAudioWav, callerMuLaw } from '../../scripts/sim-caller/call-audio.js';
import { readWav } from '../../src/audio/wav.js';
import { buildSyntheticCall } from '../../src/fixtures/synthetic-call.js';
import { AUTH_TOKEN, PUBLIC_BASE_URL, buildMiniTwilioApp } from './mini-twilio-app.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('connectionUrl', () => {
  it('keeps the public URL without a connect origin and swaps the origin, ws scheme in step, with one', () => {
    expect(connectionUrl('wss://bot.example.test/twilio/media', undefined)).toBe('wss://bot.example.test/twilio/media');
    expect(connectionUrl('wss://bot.example.test/twilio/media', 'http://127.0.0.1:5050')).toBe('ws://127.0.0.1:5050/twilio/media');
    expect(connectionUrl('https://bot.example.test/twilio/voice?x=1', 'http://127.0.0.1:5050')).toBe('http://127.0.0.1:5050/twilio/voice?x=1');
    expect(connectionUrl('wss://a/m', 'https://b.example')).toBe('wss://b.example/m');
  });
});

describe('networkTransport', () => {
  it('runs a call against a listening server on loopback, signed over the public URLs', async () => {
    const { app, record } = await buildMiniTwilioApp((msg, socket) => {
      if (msg.event === 'start') {
        socket.send({ event: 'media', streamSid: msg.streamSid, media: { payload: Buffer.alloc(800, 0x10).toString('base64') } });
        socket.send({ event: 'mark', streamSid: msg.streamSid, mark: { name: 'm' } });
      }
    });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const fixture = buildSyntheticCall({
      name: 'net',
      description: 'loopback',
      expect: {},
      firstTimestampMs: 52,
      accountSid: 'AC1',
      callSid: 'CA1',
      streamSid: 'MZ1',
      customParameters: {},
      steps: [{ kind: 'silence', ms: 1000 }],
    });
    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${port}` }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      speed: 2,
    });
    expect(record.posts.every((p) => p.signatureValid)).toBe(true);
    expect(record.upgradeSignatureValid).toBe(true);
    expect(result.marks.map((m) => [m.name, m.flushed])).toEqual([['m', false]]);
    expect(record.messages.map((m) => m.event)).toContain('mark');

    const mono = readWav(botAudioWav(result.playback, 500));
    expect(mono).toMatchObject({ encoding: 'pcm16', sampleRateHz: 8000, channels: 1 });
    expect(mono.samples.length).toBe(4000);
    expect(mono.samples.some((s) => s !== 0)).toBe(true);
    const stereo = readWav(callAudioWav(fixture, result.playback, 500));
    expect(stereo.channels).toBe(2);
    expect(stereo.samples.length).toBe(8000);
    // The caller sent only silence: the left channel is all zero.
    expect(stereo.samples.filter((_, i) => i % 2 === 0).every((s) => s === 0)).toBe(true);
    expect(callerMuLaw(fixture, 500).length).toBe(4000);
  });
});
