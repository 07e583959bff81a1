import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConnectStream, renderEmptyResponse, renderSayAndHangup } from '../../src/telephony/twiml.js';

function golden(name: string): string {
  return readFileSync(new URL(`../../twiml/${name}`, import.meta.url), 'utf8');
}

const FIXED = {
  publicBaseUrl: 'https://bot.example.com',
  token: 'T0kenFixedForTheGoldenFile_abcdefghijklmnopq',
  callSid: 'CA0123456789abcdef0123456789abcdef',
  from: '+15551230001',
  to: '+15559870002',
};

describe('TwiML documents', () => {
  it('renders the answering document byte for byte as twiml/connect-stream.xml', () => {
    expect(renderConnectStream(FIXED)).toBe(golden('connect-stream.xml'));
  });

  it('renders the fallback byte for byte as twiml/stream-ended.xml', () => {
    expect(renderSayAndHangup()).toBe(golden('stream-ended.xml'));
  });

  it('renders the empty acknowledgement byte for byte as twiml/empty.xml', () => {
    expect(renderEmptyResponse()).toBe(golden('empty.xml'));
  });

  it('points the stream at a wss URL without a query string', () => {
    const xml = renderConnectStream({ ...FIXED, publicBaseUrl: 'https://abc.ngrok.app' });
    expect(xml).toContain('<Stream url="wss://abc.ngrok.app/twilio/media">');
    expect(xml).toContain('<Connect action="https://abc.ngrok.app/twilio/stream-ended">');
  });

  it('escapes parameter values', () => {
    expect(renderConnectStream({ ...FIXED, from: '"<&>' })).toContain('<Parameter name="from" value="&quot;&lt;&amp;>"/>');
  });

  it('says a custom message before hanging up', () => {
    expect(renderSayAndHangup('Bye.')).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Bye.</Say><Hangup/></Response>');
  });
});
