import { describe, expect, it } from 'vitest';
import { readHandshake, type HandshakeAbort } from '../../src/telephony/media-handshake.js';
import type { StreamStart } from '../../src/telephony/twilio-messages.js';
import { captureLogger, FakeClock, FakeMediaSocket, wire } from './fakes.js';

function setup(timeoutMs = 5_000) {
  const socket = new FakeMediaSocket();
  const clock = new FakeClock();
  const { logger } = captureLogger();
  const starts: StreamStart[] = [];
  const aborts: HandshakeAbort[] = [];
  readHandshake({ socket, clock, logger, timeoutMs, onStart: (s) => starts.push(s), onAbort: (r) => aborts.push(r) });
  return { socket, clock, starts, aborts };
}

describe('readHandshake', () => {
  it('hands over start after connected and removes its listeners', () => {
    const { socket, clock, starts, aborts } = setup();
    socket.receive(wire.connected());
    socket.receive(wire.start({ streamSid: 'MZ1', callSid: 'CA1', customParameters: { token: 't' } }));
    expect(starts.map((s) => [s.streamSid, s.callSid, s.customParameters.token])).toEqual([['MZ1', 'CA1', 't']]);
    expect(socket.listenerCount).toBe(0);
    clock.advance(10_000);
    expect(aborts).toEqual([]);
    expect(socket.closedWith).toBeUndefined();
  });

  it('cleans up a socket that closes before start', () => {
    const { socket, clock, starts, aborts } = setup();
    socket.receive(wire.connected());
    socket.remoteClose(1006);
    expect(aborts).toEqual(['closed']);
    expect(starts).toEqual([]);
    expect(socket.listenerCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('closes a silent socket when the handshake times out', () => {
    const { socket, clock, aborts } = setup(5_000);
    clock.advance(4_999);
    expect(socket.closedWith).toBeUndefined();
    clock.advance(1);
    expect(aborts).toEqual(['timeout']);
    expect(socket.closedWith?.code).toBe(1008);
  });

  it('ignores junk before start without ending the handshake', () => {
    const { socket, starts } = setup();
    for (let i = 0; i < 500; i++) socket.receive('garbage');
    socket.receive(wire.start({ streamSid: 'MZ1', callSid: 'CA1' }));
    expect(starts).toHaveLength(1);
  });

  it('refuses a stream whose audio format is not μ-law 8 kHz mono', () => {
    const { socket, starts, aborts } = setup();
    const start = wire.start({ streamSid: 'MZ1', callSid: 'CA1' });
    start.start.mediaFormat = { encoding: 'audio/l16', sampleRate: 16000, channels: 1 };
    socket.receive(start);
    expect(starts).toEqual([]);
    expect(aborts).toEqual(['unsupported-format']);
    expect(socket.closedWith?.code).toBe(1008);
  });
});
