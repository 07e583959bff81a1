import { describe, expect, it } from 'vitest';
import { isValidTwilioSignature, mediaSignedUrl, toWebSocketOrigin, webhookSignedUrl } from '../../src/telephony/signature.js';
import { twilioSignature } from './fakes.js';

const TOKEN = '12345';
const URL_WITH_QUERY = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
};

describe('Twilio signatures', () => {
  it('matches the signature published in the security documentation example of Twilio', () => {
    // Twilio's documented example: token 12345, this URL and these five params sign to this value.
    expect(twilioSignature(TOKEN, URL_WITH_QUERY, PARAMS)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(isValidTwilioSignature(TOKEN, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', URL_WITH_QUERY, PARAMS)).toBe(true);
  });

  it('accepts an independently computed signature of a media upgrade with empty params', () => {
    const url = 'wss://bot.example.com/twilio/media';
    expect(isValidTwilioSignature('secret', twilioSignature('secret', url), url, {})).toBe(true);
  });

  it('refuses a missing or empty signature', () => {
    expect(isValidTwilioSignature(TOKEN, undefined, URL_WITH_QUERY, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, '', URL_WITH_QUERY, PARAMS)).toBe(false);
  });

  it('refuses a signature made with another auth token', () => {
    expect(isValidTwilioSignature(TOKEN, twilioSignature('other', URL_WITH_QUERY, PARAMS), URL_WITH_QUERY, PARAMS)).toBe(false);
  });

  it('refuses a valid signature replayed with different params', () => {
    const signature = twilioSignature(TOKEN, URL_WITH_QUERY, PARAMS);
    expect(isValidTwilioSignature(TOKEN, signature, URL_WITH_QUERY, { ...PARAMS, To: '+19995550000' })).toBe(false);
  });

  it('refuses a valid signature replayed against another URL', () => {
    const signature = twilioSignature(TOKEN, 'https://bot.example.com/twilio/voice', PARAMS);
    expect(isValidTwilioSignature(TOKEN, signature, 'https://evil.example.com/twilio/voice', PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, signature, 'https://bot.example.com/twilio/status', PARAMS)).toBe(false);
  });

  it('builds signed URLs from the configured origin and the raw path', () => {
    expect(webhookSignedUrl('https://bot.example.com', '/twilio/voice?x=1')).toBe('https://bot.example.com/twilio/voice?x=1');
    expect(mediaSignedUrl('https://bot.example.com', '/twilio/media')).toBe('wss://bot.example.com/twilio/media');
    expect(toWebSocketOrigin('https://abc.ngrok.app:8443')).toBe('wss://abc.ngrok.app:8443');
  });
});
