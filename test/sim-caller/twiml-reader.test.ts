import { describe, expect, it } from 'vitest';
import { readConnectStreamTwiml } from '../../scripts/sim-caller/twiml-reader.js';

describe('readConnectStreamTwiml', () => {
  it('reads the stream URL, decoded parameters and the connect action', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect action="https://h/a?x=1&amp;y=2">' +
      '<Stream url="wss://h/twilio/media"><Parameter name="token" value="t&lt;1>"/><Parameter name=\'n\' value=\'&#65;\' /></Stream>' +
      '</Connect></Response>';
    expect(readConnectStreamTwiml(xml)).toEqual({
      streamUrl: 'wss://h/twilio/media',
      parameters: { token: 't<1>', n: 'A' },
      actionUrl: 'https://h/a?x=1&y=2',
    });
  });

  it('reports no stream for TwiML that only speaks and hangs up', () => {
    expect(readConnectStreamTwiml('<Response><Say>Sorry</Say><Hangup/></Response>')).toEqual({
      streamUrl: undefined,
      parameters: {},
      actionUrl: undefined,
    });
  });
});
