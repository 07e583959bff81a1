import { describe, expect, it } from 'vitest';
import { muLawDecode, muLawEncode } from '../../src/audio/mulaw.js';
import { TwilioMediaTransport, type TwilioMediaTransportOptions } from '../../src/telephony/media-transport.js';
import { captureLogger, FakeClock, FakeMediaSocket, wire } from './fakes.js';

const SID = 'MZaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const CALL = 'CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/** The 24 kHz path (`pcm16`) unless a test asks for another format; the `pcmu` path has its own tests below. */
function setup(overrides: Partial<TwilioMediaTransportOptions> = {}) {
  const socket = new FakeMediaSocket();
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const transport = new TwilioMediaTransport({ socket, streamSid: SID, logger, clock, audioFormat: 'pcm16', ...overrides });
  return { socket, clock, transport, lines };
}

/** A 440 Hz tone at 8 kHz, μ-law encoded, as Twilio would send it. */
function toneFrame(frameIndex: number, samples = 160): Uint8Array {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frameIndex * samples + i)) / 8000));
  return muLawEncode(pcm);
}

/** PCM16 24 kHz of the given duration (a 300 Hz tone, so the encoder has real signal). */
function pcm24k(ms: number): Int16Array {
  const pcm = new Int16Array(ms * 24);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 24000));
  return pcm;
}

async function drain(iterable: AsyncIterable<Int16Array>): Promise<Int16Array[]> {
  const chunks: Int16Array[] = [];
  for await (const chunk of iterable) chunks.push(chunk.slice());
  return chunks;
}

function marks(socket: FakeMediaSocket): string[] {
  return socket.sentJson().flatMap((m) => (m.event === 'mark' ? [(m.mark as { name: string }).name] : []));
}

function mediaBytes(socket: FakeMediaSocket): number[] {
  return socket
    .sentJson()
    .flatMap((m) => (m.event === 'media' ? [Buffer.from((m.media as { payload: string }).payload, 'base64').length] : []));
}

describe('TwilioMediaTransport inbound', () => {
  it('turns 20 ms μ-law frames into 480 samples of PCM16 24 kHz each, joining frames that queued up (up to 100 ms)', async () => {
    const { socket, transport } = setup();
    for (let i = 0; i < 5; i++) {
      socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 52 + 20 * i, bytes: toneFrame(i) }));
    }
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 7 }));
    const chunks = await drain(transport.inboundAudio());
    // All five frames were waiting when the consumer asked: one 100 ms chunk (one append), not five.
    expect(chunks.map((c) => c.length)).toEqual([2400]);
    const peak = Math.max(...chunks.flatMap((c) => [...c].slice(480).map(Math.abs)));
    expect(peak).toBeGreaterThan(6000);
    expect(transport.stats().inboundFrames).toBe(5);
  });

  it('fills a timestamp gap with silence so the model clock stays true', async () => {
    const { socket, transport } = setup();
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 2, chunk: 1, timestampMs: 52, bytes: toneFrame(0) }));
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 3, chunk: 2, timestampMs: 72, bytes: toneFrame(1) }));
    // Frames for 92..132 never arrived.
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 4, chunk: 6, timestampMs: 152, bytes: toneFrame(5) }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 5 }));
    const chunks = await drain(transport.inboundAudio());
    const total = chunks.reduce((n, c) => n + c.length, 0);
    expect(total).toBe((3 * 20 + 60) * 24);
    expect(transport.stats().silenceFilledMs).toBe(60);
  });

  it('bounds gap filling by wall-clock time: timestamps jumping +1000 ms per 20 ms frame add no invented audio', async () => {
    const { socket, clock, transport, lines } = setup();
    const frames = 490; // 9.8 s of caller audio
    const consumed = drain(transport.inboundAudio());
    for (let i = 0; i < frames; i++) {
      socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 52 + 1020 * i, bytes: toneFrame(i) }));
      clock.advance(20);
      // Let the consumer keep up, as the Realtime pump does.
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: frames + 2 }));
    const producedMs = (await consumed).reduce((n, c) => n + c.length, 0) / 24;
    // Before: 9.8 s became 491 s. Now at most the wall-clock time received plus the 200 ms slack.
    console.info(`[measure] 9.8 s of frames stamped +1020 ms each -> ${producedMs} ms of audio upstream, ${transport.stats().silenceRefusedMs} ms of silence refused`);
    expect(producedMs).toBeLessThanOrEqual(frames * 20 + 200);
    expect(producedMs).toBeGreaterThanOrEqual(frames * 20);
    expect(transport.stats().droppedInboundChunks).toBe(0);
    const stats = transport.stats();
    expect(stats.silenceFilledMs).toBeLessThanOrEqual(200);
    expect(stats.silenceRefusedMs).toBeGreaterThanOrEqual((frames - 1) * 1000 - 200);
    expect(lines.filter((l) => l.msg === 'inbound timestamp gap not filled').length).toBeLessThanOrEqual(5);
  });

  it('still fills a real gap: frames that stopped coming for 300 ms of wall-clock time', async () => {
    const { socket, clock, transport } = setup();
    const consumed = drain(transport.inboundAudio());
    for (let i = 0; i < 10; i++) {
      socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 52 + 20 * i, bytes: toneFrame(i) }));
      clock.advance(20);
    }
    clock.advance(300);
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 12, chunk: 26, timestampMs: 52 + 20 * 25, bytes: toneFrame(25) }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 13 }));
    await consumed;
    expect(transport.stats().silenceFilledMs).toBe(300);
    expect(transport.stats().silenceRefusedMs).toBe(0);
  });

  it('does not fill when frames arrive late or in bursts with contiguous timestamps', async () => {
    const { socket, clock, transport } = setup();
    for (let i = 0; i < 3; i++) socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 155 + 20 * i, bytes: toneFrame(i) }));
    clock.advance(500);
    for (let i = 3; i < 6; i++) socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 155 + 20 * i, bytes: toneFrame(i) }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 9 }));
    expect((await drain(transport.inboundAudio())).reduce((n, c) => n + c.length, 0)).toBe(6 * 480);
    expect(transport.stats().silenceFilledMs).toBe(0);
  });

  it('drops the oldest audio with a warning when the consumer lags', () => {
    const { socket, transport, lines } = setup({ inboundQueueChunks: 3 });
    for (let i = 0; i < 10; i++) socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 52 + 20 * i, bytes: toneFrame(i) }));
    expect(transport.stats().droppedInboundChunks).toBe(7);
    expect(lines.some((l) => l.msg === 'inbound audio consumer lagging; oldest audio dropped')).toBe(true);
  });

  it('survives a flood of malformed frames and keeps decoding', async () => {
    const { socket, transport, lines } = setup();
    const junk = ['', 'not json', '{"event":"media"}', '[]', '{"event":"media","streamSid":"' + SID + '","sequenceNumber":"1","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":null}}', '{"event":"nope"}'];
    for (let i = 0; i < 1200; i++) socket.receive(junk[i % junk.length] as string);
    const oversize = new Uint8Array(4000);
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 2, chunk: 1, timestampMs: 52, bytes: oversize }));
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 3, chunk: 2, timestampMs: 52, bytes: toneFrame(0) }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 4 }));
    expect((await drain(transport.inboundAudio())).length).toBe(1);
    expect(transport.stats().malformedMessages).toBe(1201);
    expect(socket.closedWith).toBeUndefined();
    expect(lines.filter((l) => l.level === 40).length).toBeLessThan(20);
  });

  it('drops messages carrying another streamSid', async () => {
    const { socket, transport } = setup();
    socket.receive(wire.media({ streamSid: 'MZother', sequenceNumber: 2, chunk: 1, timestampMs: 52, bytes: toneFrame(0) }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 3 }));
    expect(await drain(transport.inboundAudio())).toEqual([]);
    expect(transport.stats().foreignStreamMessages).toBe(1);
  });
});

describe('TwilioMediaTransport events', () => {
  it('emits dtmf, observed marks, stop and a remote close', () => {
    const { socket, transport } = setup();
    const seen: string[] = [];
    transport.on('dtmf', (e) => seen.push(`dtmf:${e.digit}`));
    transport.on('mark', (e) => seen.push(`mark:${e.name}`));
    transport.on('stop', (e) => seen.push(`stop:${e.callSid}`));
    transport.on('closed', (e) => seen.push(`closed:${e.reason}:${e.code}`));
    socket.receive(wire.dtmf({ streamSid: SID, sequenceNumber: 2, digit: '5' }));
    socket.receive(wire.mark({ streamSid: SID, sequenceNumber: 3, name: 'g0:x:80' }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 4 }));
    socket.remoteClose(1000);
    expect(seen).toEqual(['dtmf:5', 'mark:g0:x:80', `stop:${CALL}`, 'closed:remote:1000']);
    expect(socket.listenerCount).toBe(0);
  });

  it('keeps running when a listener throws', () => {
    const { socket, transport } = setup();
    const digits: string[] = [];
    transport.on('dtmf', () => {
      throw new Error('listener bug');
    });
    transport.on('dtmf', (e) => digits.push(e.digit));
    socket.receive(wire.dtmf({ streamSid: SID, sequenceNumber: 2, digit: '1' }));
    socket.receive(wire.dtmf({ streamSid: SID, sequenceNumber: 3, digit: '2' }));
    expect(digits).toEqual(['1', '2']);
  });

  it('logs digits only under the redacted key', () => {
    const { socket, lines } = setup();
    socket.receive(wire.dtmf({ streamSid: SID, sequenceNumber: 2, digit: '9' }));
    expect(JSON.stringify(lines)).not.toContain('"9"');
  });

  it('close() closes the socket once and reports a local close', async () => {
    const { socket, transport } = setup();
    const closes: string[] = [];
    transport.on('closed', (e) => closes.push(e.reason));
    transport.close('done');
    transport.close('again');
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'done' });
    expect(closes).toEqual(['local']);
    expect(await drain(transport.inboundAudio())).toEqual([]);
    transport.sendAudio('a', pcm24k(100));
    expect(socket.sent).toEqual([]);
  });
});

describe('TwilioMediaTransport outbound', () => {
  it('sends 80 ms media chunks each followed by a mark carrying generation, item and position', () => {
    const { socket, transport } = setup();
    transport.sendAudio('item_a', pcm24k(200));
    const sent = socket.sentJson();
    expect(sent.map((m) => m.event)).toEqual(['media', 'mark', 'media', 'mark']);
    expect(Object.keys(sent[0] as object)).toEqual(['event', 'streamSid', 'media']);
    expect(Object.keys((sent[0] as { media: object }).media)).toEqual(['payload']);
    expect(socket.sent[1]).toBe(`{"event":"mark","streamSid":"${SID}","mark":{"name":"g0:item_a:80"}}`);
    expect(mediaBytes(socket)).toEqual([640, 640]);
    expect(marks(socket)).toEqual(['g0:item_a:80', 'g0:item_a:160']);
  });

  it('flushes a partial chunk after a short pause so the tail is not held', () => {
    const { socket, clock, transport } = setup();
    transport.sendAudio('item_a', pcm24k(100));
    expect(mediaBytes(socket)).toEqual([640]);
    clock.advance(39);
    expect(mediaBytes(socket)).toEqual([640]);
    clock.advance(1);
    expect(mediaBytes(socket)).toEqual([640, 160]);
    expect(marks(socket)).toEqual(['g0:item_a:80', 'g0:item_a:100']);
  });

  it('holds a partial chunk while Twilio has plenty queued and sends it before the queue runs low', () => {
    const { socket, clock, transport } = setup();
    transport.sendAudio('item_a', pcm24k(1020));
    // 12 full chunks (960 ms) went out; 60 ms wait for the next delta, which usually completes the chunk.
    expect(mediaBytes(socket)).toHaveLength(12);
    clock.advance(40);
    expect(mediaBytes(socket)).toHaveLength(12);
    // Unconfirmed queue 960 ms, less two chunks of margin: the partial goes out 800 ms later at the latest.
    clock.advance(759);
    expect(mediaBytes(socket)).toHaveLength(12);
    clock.advance(1);
    expect(mediaBytes(socket)).toEqual([...Array<number>(12).fill(640), 480]);
    expect(marks(socket).at(-1)).toBe('g0:item_a:1020');
  });

  it('endItem sends the resampler tail and the partial chunk at once', () => {
    const { socket, clock, transport } = setup();
    transport.sendAudio('item_a', pcm24k(100));
    transport.endItem('item_a');
    const bytes = mediaBytes(socket);
    expect(bytes[0]).toBe(640);
    expect((bytes[1] as number) > 160).toBe(true);
    clock.advance(1000);
    expect(mediaBytes(socket)).toHaveLength(2);
  });

  it('finishes the previous item when audio of a new item starts', () => {
    const { socket, transport } = setup();
    transport.sendAudio('item_a', pcm24k(40));
    transport.sendAudio('item_b', pcm24k(80));
    const names = marks(socket);
    expect(names[0]).toMatch(/^g0:item_a:4\d(\.\d+)?$/);
    expect(names.slice(1)).toEqual(['g0:item_b:80']);
  });

  it('reports playback from mark echoes and the clock, capped at what was generated', () => {
    const { socket, clock, transport } = setup();
    transport.sendAudio('item_a', pcm24k(320));
    expect(transport.isAudible()).toBe(true);
    clock.advance(100);
    socket.receive(wire.mark({ streamSid: SID, sequenceNumber: 5, name: 'g0:item_a:80' }));
    expect(transport.pending()).toEqual([{ itemId: 'item_a', generatedMs: 320, playedMs: 80 }]);
    clock.advance(30);
    expect(transport.pending()).toEqual([{ itemId: 'item_a', generatedMs: 320, playedMs: 110 }]);
    clock.advance(10_000);
    expect(transport.pending()).toEqual([{ itemId: 'item_a', generatedMs: 320, playedMs: 320 }]);
    socket.receive(wire.mark({ streamSid: SID, sequenceNumber: 6, name: 'g0:item_a:320' }));
    expect(transport.isAudible()).toBe(false);
    expect(transport.pending()).toEqual([]);
  });

  it('clear sends clear, returns the states at that instant and ignores echoes of flushed marks', () => {
    const { socket, clock, transport } = setup();
    transport.sendAudio('item_a', pcm24k(400));
    clock.advance(90);
    socket.receive(wire.mark({ streamSid: SID, sequenceNumber: 5, name: 'g0:item_a:80' }));
    clock.advance(25);
    socket.sent.length = 0;
    expect(transport.clear()).toEqual([{ itemId: 'item_a', generatedMs: 400, playedMs: 105 }]);
    expect(socket.sent).toEqual([`{"event":"clear","streamSid":"${SID}"}`]);
    // Twilio echoes every pending mark on clear: all of them are stale now.
    for (const end of [160, 240, 320, 400]) socket.receive(wire.mark({ streamSid: SID, sequenceNumber: 6, name: `g0:item_a:${end}` }));
    expect(transport.isAudible()).toBe(false);
    expect(transport.pending()).toEqual([]);
    expect(transport.stats().staleMarkEchoes).toBe(4);
    transport.sendAudio('item_b', pcm24k(80));
    expect(marks(socket)).toEqual(['g1:item_b:80']);
  });

  it('clear drops the partial chunk so nothing of the flushed item follows', () => {
    const { socket, clock, transport } = setup();
    transport.sendAudio('item_a', pcm24k(100));
    transport.clear();
    socket.sent.length = 0;
    clock.advance(1000);
    expect(socket.sent).toEqual([]);
  });

  it('drops audio beyond the outbound bound with a warning', () => {
    const { socket, transport, lines } = setup({ maxQueuedOutboundMs: 200 });
    transport.sendAudio('item_a', pcm24k(160));
    transport.sendAudio('item_a', pcm24k(80));
    expect(mediaBytes(socket)).toEqual([640, 640]);
    expect(transport.stats().droppedOutboundMs).toBe(80);
    expect(lines.some((l) => l.msg === 'outbound audio queue full; audio dropped')).toBe(true);
  });

  it('sends nothing after Twilio stopped the stream', () => {
    const { socket, transport } = setup();
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 2 }));
    transport.sendAudio('item_a', pcm24k(200));
    transport.clear();
    expect(socket.sent).toEqual([]);
  });
});

describe('TwilioMediaTransport isolation', () => {
  it('keeps two concurrent streams fully separate', async () => {
    const a = setup();
    const b = setup({ streamSid: 'MZbbbb' });
    a.transport.sendAudio('item_1', pcm24k(160));
    a.transport.clear();
    b.transport.sendAudio('item_2', pcm24k(80));
    expect(marks(a.socket)).toEqual(['g0:item_1:80', 'g0:item_1:160']);
    expect(marks(b.socket)).toEqual(['g0:item_2:80']);
    expect(b.socket.sentJson().every((m) => m.streamSid === 'MZbbbb')).toBe(true);
    a.socket.receive(wire.media({ streamSid: SID, sequenceNumber: 2, chunk: 1, timestampMs: 52, bytes: toneFrame(0) }));
    a.socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 3 }));
    b.socket.receive(wire.stop({ streamSid: 'MZbbbb', callSid: 'CAb', sequenceNumber: 2 }));
    expect((await drain(a.transport.inboundAudio())).length).toBe(1);
    expect((await drain(b.transport.inboundAudio())).length).toBe(0);
  });
});

describe('TwilioMediaTransport under a flood of peer-triggered lines', () => {
  it('writes at most ~100 lines for 2,000 bad messages of every kind, and the call goes on', async () => {
    const { socket, clock, transport, lines } = setup();
    const bad = [
      () => wire.dtmf({ streamSid: SID, sequenceNumber: 1, digit: '5' }),
      () => wire.connected(),
      () => wire.start({ streamSid: SID, callSid: CALL }),
      () => wire.mark({ streamSid: SID, sequenceNumber: 1, name: 'not-ours' }),
      () => '{"event":"media","streamSid":',
      () => wire.media({ streamSid: 'MZother', sequenceNumber: 1, chunk: 1, timestampMs: 1, bytes: toneFrame(0) }),
      () => ({ event: 'media', streamSid: SID, sequenceNumber: '1', media: { track: 'inbound', chunk: '1', timestamp: '1', payload: '' } }),
    ];
    const before = lines.length;
    for (let i = 0; i < 2_000; i++) {
      socket.receive(bad[i % bad.length]!());
      clock.advance(5);
    }
    // 10 s of flood: per kind 3 lines in full and one summary.
    console.info(`[measure] 2,000 bad messages over 10 s -> ${lines.length - before} log lines`);
    expect(lines.length - before).toBeLessThanOrEqual(100);
    const kinds = new Set(lines.slice(before).map((l) => l.msg));
    expect(kinds).toEqual(
      new Set([
        'dtmf received',
        'handshake message after start ignored',
        'unrecognized mark echo ignored',
        'malformed twilio message dropped',
        'message for another stream dropped',
        'inbound media frame dropped',
      ]),
    );
    // The call goes on: a good frame after the flood is decoded.
    socket.receive(wire.media({ streamSid: SID, sequenceNumber: 2_002, chunk: 1, timestampMs: 52, bytes: toneFrame(0) }));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 2_003 }));
    const chunks = await drain(transport.inboundAudio());
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(480);
    // Closing writes the pending counts: 2,000 bad messages are all accounted for.
    socket.remoteClose();
    const counted = new Map<string, number>();
    for (const l of lines.slice(before)) if (typeof l.occurrences === 'number') counted.set(String(l.msg), l.occurrences);
    expect([...counted.values()].reduce((a, b) => a + b, 0)).toBe(2_000);
  });
});

describe('TwilioMediaTransport with REALTIME_AUDIO_FORMAT=pcmu (service PCM at 8 kHz, no resampling)', () => {
  it('hands the service each frame decoded to 160 samples at 8 kHz, bit for bit the G.711 decoding, and a 100 ms join of 800', async () => {
    const { socket, transport } = setup({ audioFormat: 'pcmu' });
    const frames = Array.from({ length: 5 }, (_, i) => toneFrame(i));
    frames.forEach((bytes, i) => socket.receive(wire.media({ streamSid: SID, sequenceNumber: i + 2, chunk: i + 1, timestampMs: 52 + 20 * i, bytes })));
    socket.receive(wire.stop({ streamSid: SID, callSid: CALL, sequenceNumber: 7 }));
    const chunks = await drain(transport.inboundAudio());
    expect(chunks.map((c) => c.length)).toEqual([800]);
    const expected = muLawDecode(Uint8Array.from(frames.flatMap((f) => [...f])));
    expect([...(chunks[0] as Int16Array)]).toEqual([...expected]);
  });

  it('sends 8 kHz PCM as 80 ms media chunks whose μ-law is the exact encoding, with marks at the ms positions', () => {
    const { socket, transport } = setup({ audioFormat: 'pcmu' });
    const pcm = muLawDecode(toneFrame(0, 1280)); // 160 ms at 8 kHz, values exactly representable in μ-law
    transport.sendAudio('item_a', pcm);
    transport.endItem('item_a');
    expect(mediaBytes(socket)).toEqual([640, 640]);
    expect(marks(socket)).toEqual(['g0:item_a:80', 'g0:item_a:160']);
    const sent = Buffer.concat(
      socket.sentJson().flatMap((m) => (m.event === 'media' ? [Buffer.from((m.media as { payload: string }).payload, 'base64')] : [])),
    );
    expect(Buffer.compare(sent, Buffer.from(muLawEncode(pcm)))).toBe(0);
  });
});
