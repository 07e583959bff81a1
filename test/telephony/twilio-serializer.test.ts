import { describe, expect, it } from 'vitest';
import { MediaMessageSchema } from '../../src/telephony/twilio-messages.js';
import {
  formatClearMessage,
  formatMarkMessage,
  formatMediaMessage,
  parseTwilioMessage,
} from '../../src/telephony/twilio-serializer.js';
import { wire } from './fakes.js';

const SID = 'MZ11111111111111111111111111111111';

describe('Twilio message formatters', () => {
  it('formats media exactly as Twilio expects', () => {
    expect(formatMediaMessage(SID, '//8=')).toBe(`{"event":"media","streamSid":"${SID}","media":{"payload":"//8="}}`);
  });

  it('formats mark exactly as Twilio expects', () => {
    expect(formatMarkMessage(SID, 'g3:item_abc:1840')).toBe(`{"event":"mark","streamSid":"${SID}","mark":{"name":"g3:item_abc:1840"}}`);
  });

  it('formats clear exactly as Twilio expects', () => {
    expect(formatClearMessage(SID)).toBe(`{"event":"clear","streamSid":"${SID}"}`);
  });

  it('escapes names so the frame stays valid JSON', () => {
    expect(JSON.parse(formatMarkMessage(SID, 'a"b\\c'))).toEqual({ event: 'mark', streamSid: SID, mark: { name: 'a"b\\c' } });
  });
});

describe('parseTwilioMessage', () => {
  it('parses connected', () => {
    expect(parseTwilioMessage(JSON.stringify(wire.connected()))).toEqual({ type: 'connected', protocol: 'Call', version: '1.0.0' });
  });

  it('parses start with its custom parameters', () => {
    const event = parseTwilioMessage(JSON.stringify(wire.start({ streamSid: SID, callSid: 'CA1', customParameters: { token: 't' } })));
    expect(event?.type).toBe('start');
    if (event?.type !== 'start') return;
    expect(event.streamSid).toBe(SID);
    expect(event.start.callSid).toBe('CA1');
    expect(event.start.customParameters).toEqual({ token: 't' });
    expect(event.start.mediaFormat).toEqual({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
  });

  it('parses media with a numeric timestamp from the string on the wire', () => {
    const text = JSON.stringify(wire.media({ streamSid: SID, sequenceNumber: 3, chunk: 1, timestampMs: 52, bytes: new Uint8Array([255, 127]) }));
    expect(parseTwilioMessage(text)).toEqual({ type: 'media', streamSid: SID, track: 'inbound', timestampMs: 52, payload: '/38=' });
  });

  it('parses dtmf, mark and stop', () => {
    expect(parseTwilioMessage(JSON.stringify(wire.dtmf({ streamSid: SID, sequenceNumber: 5, digit: '7' })))).toEqual({
      type: 'dtmf',
      streamSid: SID,
      digit: '7',
    });
    expect(parseTwilioMessage(JSON.stringify(wire.mark({ streamSid: SID, sequenceNumber: 6, name: 'g0:i:80' })))).toEqual({
      type: 'mark',
      streamSid: SID,
      name: 'g0:i:80',
    });
    expect(parseTwilioMessage(JSON.stringify(wire.stop({ streamSid: SID, callSid: 'CA1', sequenceNumber: 7 })))).toEqual({
      type: 'stop',
      streamSid: SID,
      callSid: 'CA1',
    });
  });

  it('accepts UUID-style stream ids and numbers sent as numbers', () => {
    const message = { ...wire.mark({ streamSid: '0b3a4c6e-1111-2222-3333-444455556666', sequenceNumber: 2, name: 'x' }), sequenceNumber: 2 };
    expect(parseTwilioMessage(JSON.stringify(message))?.type).toBe('mark');
  });

  it.each([
    ['not json', 'hello'],
    ['a JSON array', '[1,2]'],
    ['null', 'null'],
    ['an unknown event', '{"event":"clear","streamSid":"MZ1"}'],
    ['media without payload', `{"event":"media","sequenceNumber":"1","streamSid":"${SID}","media":{"track":"inbound","chunk":"1","timestamp":"5"}}`],
    ['media with an object payload', `{"event":"media","sequenceNumber":"1","streamSid":"${SID}","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":{}}}`],
    ['media without streamSid', '{"event":"media","sequenceNumber":"1","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"//8="}}'],
    ['mark without name', `{"event":"mark","sequenceNumber":"1","streamSid":"${SID}","mark":{}}`],
    ['start without callSid', `{"event":"start","sequenceNumber":"1","streamSid":"${SID}","start":{"streamSid":"${SID}"}}`],
    ['dtmf with an empty digit', `{"event":"dtmf","sequenceNumber":"1","streamSid":"${SID}","dtmf":{"track":"inbound_track","digit":""}}`],
  ])('returns undefined for %s, never throws', (_label, text) => {
    expect(parseTwilioMessage(text)).toBeUndefined();
  });

  it('accepts exactly the media messages the zod schema accepts', () => {
    const good = wire.media({ streamSid: SID, sequenceNumber: 9, chunk: 4, timestampMs: 132, bytes: new Uint8Array(160) });
    const samples: unknown[] = [
      good,
      { ...good, sequenceNumber: 9 },
      { ...good, media: { ...good.media, timestamp: 132 } },
      { ...good, media: { ...good.media, chunk: undefined } },
      { ...good, media: { ...good.media, track: 1 } },
      { ...good, media: null },
      { ...good, streamSid: '' },
      { ...good, sequenceNumber: null },
      { ...good, extra: 'allowed' },
    ];
    for (const sample of samples) {
      const viaZod = MediaMessageSchema.safeParse(sample).success;
      const viaFastPath = parseTwilioMessage(JSON.stringify(sample)) !== undefined;
      expect({ sample, viaFastPath }).toEqual({ sample, viaFastPath: viaZod });
    }
  });
});
