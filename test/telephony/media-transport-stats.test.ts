import { describe, expect, it } from 'vitest';
import { TwilioMediaTransport } from '../../src/telephony/media-transport.js';
import { emptyMediaTransportStats } from '../../src/telephony/media-transport-stats.js';
import { captureLogger, FakeClock, FakeMediaSocket, wire } from './fakes.js';

describe('emptyMediaTransportStats', () => {
  it('is where a new transport starts counting: every counter 0', () => {
    const { logger } = captureLogger();
    const transport = new TwilioMediaTransport({ socket: new FakeMediaSocket(), streamSid: 'MZ1', logger, clock: new FakeClock() });
    const zero = emptyMediaTransportStats();
    expect(Object.values(zero).every((value) => value === 0)).toBe(true);
    expect(transport.stats()).toEqual(zero);
  });

  it('gives a new object each call, so one transport counting leaves the next at 0', () => {
    const { logger } = captureLogger();
    const socket = new FakeMediaSocket();
    const counting = new TwilioMediaTransport({ socket, streamSid: 'MZ1', logger, clock: new FakeClock() });
    socket.receive(wire.media({ streamSid: 'MZ1', sequenceNumber: 2, chunk: 1, timestampMs: 0, bytes: new Uint8Array(160).fill(0xff) }));
    expect(counting.stats().inboundFrames).toBe(1);
    const fresh = new TwilioMediaTransport({ socket: new FakeMediaSocket(), streamSid: 'MZ2', logger, clock: new FakeClock() });
    expect(fresh.stats().inboundFrames).toBe(0);
    expect(emptyMediaTransportStats()).not.toBe(emptyMediaTransportStats());
  });
});
