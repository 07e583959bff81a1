import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildSyntheticCall, type CallStep } from '../../src/fixtures/synthetic-call.js';
import type { CallFixture } from '../../src/fixtures/call-fixture.js';
import { injectTransport } from '../../scripts/sim-caller/inject-transport.js';
import { runSimulatedCall, type SimCallOptions } from '../../scripts/sim-caller/sim-caller.js';
import { AUTH_TOKEN, PUBLIC_BASE_URL, STREAM_TOKEN, buildMiniTwilioApp, type BotSocket } from './mini-twilio-app.js';

/** A loud 400 Hz square-ish tone in μ-law, standing in for speech. */
function tone(ms: number): Uint8Array {
  const out = new Uint8Array(ms * 8);
  for (let i = 0; i < out.length; i += 1) out[i] = Math.floor(i / 10) % 2 === 0 ? 0x1f : 0x9f;
  return out;
}

function fixture(steps: CallStep[]): CallFixture {
  return buildSyntheticCall({
    name: 'test',
    description: 'synthetic',
    expect: {},
    firstTimestampMs: 52,
    accountSid: 'AC00000000000000000000000000000001',
    callSid: 'CA00000000000000000000000000000001',
    streamSid: 'MZ00000000000000000000000000000001',
    customParameters: { from: '+15550000001' },
    steps,
  });
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function setup(bot?: (msg: Record<string, unknown>, socket: BotSocket) => void) {
  const built = await buildMiniTwilioApp(bot);
  apps.push(built.app);
  const base: Omit<SimCallOptions, 'fixture'> = {
    transport: injectTransport(built.app),
    publicBaseUrl: PUBLIC_BASE_URL,
    authToken: AUTH_TOKEN,
    speed: 20,
  };
  return { ...built, base };
}

const streamSidOf = (msg: Record<string, unknown>): string => String(msg.streamSid);

describe('runSimulatedCall', () => {
  it('acts as Twilio: signed webhook, TwiML parameters in start, renumbered fixture messages, stop and status callback', async () => {
    const { record, base } = await setup();
    const result = await runSimulatedCall({
      ...base,
      fixture: fixture([{ kind: 'speech', transcript: 'hello', audio: tone(200) }, { kind: 'dtmf', digit: '5' }, { kind: 'silence', ms: 100 }]),
      callSid: 'CAabc',
      from: '+15551230000',
    });
    expect(record.posts.map((p) => [p.path, p.signatureValid])).toEqual([
      ['/twilio/voice', true],
      ['/twilio/status', true],
    ]);
    expect(record.posts[0]!.form).toMatchObject({ CallSid: 'CAabc', From: '+15551230000', Direction: 'inbound', CallStatus: 'ringing' });
    expect(record.posts[1]!.form).toMatchObject({ CallSid: 'CAabc', CallStatus: 'completed' });
    expect(record.upgradeSignatureValid).toBe(true);
    const events = record.messages.map((m) => m.event);
    expect(events[0]).toBe('connected');
    expect(events[1]).toBe('start');
    expect(events.at(-1)).toBe('stop');
    expect(events.filter((e) => e === 'media')).toHaveLength(15);
    const start = record.messages[1]!.start as Record<string, unknown>;
    expect(start).toMatchObject({ callSid: 'CAabc', streamSid: result.streamSid, customParameters: { token: STREAM_TOKEN, note: 'a & b <c>' } });
    expect(record.messages.slice(1).map((m) => Number(m.sequenceNumber))).toEqual(record.messages.slice(1).map((_, i) => i + 1));
    expect(new Set(record.messages.slice(1).map(streamSidOf))).toEqual(new Set([result.streamSid]));
    expect(result).toMatchObject({ endedBy: 'caller', dtmfSent: '5', violations: [], actionResponse: undefined });
    expect(result.log.some((e) => e.who === 'caller' && e.text === '"hello"')).toBe(true);
  });

  it('echoes a mark only after the audio queued before it has played', async () => {
    let echoSeenAtTimestamp: number | undefined;
    let lastTimestamp = 0;
    const { base } = await setup((msg, socket) => {
      if (msg.event === 'media') lastTimestamp = Number((msg.media as { timestamp: string }).timestamp);
      if (msg.event === 'start') {
        socket.send({ event: 'media', streamSid: msg.streamSid, media: { payload: Buffer.from(tone(600)).toString('base64') } });
        socket.send({ event: 'mark', streamSid: msg.streamSid, mark: { name: 'after-600ms' } });
      }
      if (msg.event === 'mark') echoSeenAtTimestamp = lastTimestamp;
    });
    const result = await runSimulatedCall({ ...base, speed: 5, fixture: fixture([{ kind: 'silence', ms: 1500 }]) });
    expect(result.marks).toHaveLength(1);
    expect(result.marks[0]).toMatchObject({ name: 'after-600ms', flushed: false });
    expect(result.marks[0]!.echoedAtMs).toBe(result.marks[0]!.dueAtMs);
    expect(result.marks[0]!.dueAtMs - result.playback.segments[0]!.startMs).toBeCloseTo(600, 6);
    // The caller's own frames show how far the call had got when the echo arrived: not before the audio played.
    // (Bounded loosely: the sender's and the echo's timers may each run a little late on a loaded machine.)
    expect(echoSeenAtTimestamp).toBeGreaterThanOrEqual(52 + 300);
    expect(result.botAudioMs).toBe(600);
    expect(result.playback.speechStretches()).toHaveLength(1);
  });

  it('on clear flushes the queued audio and echoes every pending mark at once', async () => {
    const echoes: string[] = [];
    const { base } = await setup((msg, socket) => {
      if (msg.event === 'start') {
        socket.send({ event: 'media', streamSid: msg.streamSid, media: { payload: Buffer.from(tone(3000)).toString('base64') } });
        socket.send({ event: 'mark', streamSid: msg.streamSid, mark: { name: 'm1' } });
        socket.send({ event: 'mark', streamSid: msg.streamSid, mark: { name: 'm2' } });
      }
      if (msg.event === 'dtmf') socket.send({ event: 'clear', streamSid: msg.streamSid });
      if (msg.event === 'mark') echoes.push((msg.mark as { name: string }).name);
    });
    const result = await runSimulatedCall({
      ...base,
      fixture: fixture([{ kind: 'silence', ms: 400 }, { kind: 'dtmf', digit: '1' }, { kind: 'silence', ms: 600 }]),
    });
    expect(echoes).toEqual(['m1', 'm2']);
    expect(result.marks.map((m) => m.flushed)).toEqual([true, true]);
    expect(result.clears).toHaveLength(1);
    expect(result.clears[0]!.flushedMs).toBeGreaterThan(1500);
    const heardMs = result.playback.speechStretches().reduce((sum, s) => sum + s.endMs - s.startMs, 0);
    expect(heardMs + result.clears[0]!.flushedMs).toBeCloseTo(3000, 0);
  });

  it('stops sending when the server closes the stream, then fetches the Connect action like Twilio', async () => {
    const { record, base } = await setup((msg, socket) => {
      if (msg.event === 'dtmf') socket.close();
    });
    const result = await runSimulatedCall({
      ...base,
      fixture: fixture([{ kind: 'silence', ms: 200 }, { kind: 'dtmf', digit: '9' }, { kind: 'silence', ms: 2000 }]),
    });
    expect(result.endedBy).toBe('server');
    expect(result.closeCode).toBe(1000);
    expect(record.messages.map((m) => m.event)).not.toContain('stop');
    expect(record.posts.map((p) => [p.path, p.signatureValid])).toEqual([
      ['/twilio/voice', true],
      ['/twilio/stream-ended', true],
      ['/twilio/status', true],
    ]);
    expect(result.actionResponse?.status).toBe(200);
  });

  it('hangs up with its own stop when a fixture without one is not ended by the server', async () => {
    const { record, base } = await setup();
    const base3 = fixture([{ kind: 'silence', ms: 100 }]);
    const withoutStop: CallFixture = { header: base3.header, lines: base3.lines.filter((l) => l.msg.event !== 'stop') };
    const result = await runSimulatedCall({ ...base, fixture: withoutStop, serverEndTimeoutMs: 500 });
    expect(result.endedBy).toBe('caller');
    expect(record.messages.at(-1)?.event).toBe('stop');
  });

  it('reports frames a real Twilio would reject', async () => {
    const { base } = await setup((msg, socket) => {
      if (msg.event === 'start') {
        socket.send({ event: 'media', streamSid: 'MZwrong', media: { payload: 'AA==' } });
        socket.sendRaw(Buffer.from([1, 2, 3]));
        socket.send({ event: 'hello', streamSid: msg.streamSid });
      }
    });
    const result = await runSimulatedCall({ ...base, fixture: fixture([{ kind: 'silence', ms: 200 }]) });
    expect(result.violations).toEqual([
      'media with streamSid MZwrong (Twilio error 31951)',
      'binary frame (Twilio warning 31950)',
      'unexpected event hello (Twilio error 31951)',
    ]);
  });

  it('fails with a readable message when the webhook refuses the signature', async () => {
    const { base } = await setup();
    await expect(runSimulatedCall({ ...base, authToken: 'wrong', fixture: fixture([{ kind: 'silence', ms: 20 }]) })).rejects.toThrow(
      /voice webhook answered 403/,
    );
  });
});
