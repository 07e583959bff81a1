import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { renderConnectStream, renderSayAndHangup } from '../../src/telephony/twiml.js';
import { twilioSignature, voiceWebhookForm } from '../telephony/fakes.js';
import { AUTH_TOKEN, createTestApp, formBody, PUBLIC, signForm, type TestApp } from './helpers.js';

const CALL = voiceWebhookForm('CA11111111111111111111111111111111');

let t: TestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

async function post(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  if (!t) throw new Error('no app');
  return t.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: formBody(params),
  });
}

describe('POST /twilio/voice', () => {
  it('answers a signed call with the Connect/Stream TwiML carrying a fresh token', async () => {
    t = await createTestApp();
    const res = await post('/twilio/voice', CALL, { 'x-twilio-signature': signForm('/twilio/voice', CALL) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    const token = /<Parameter name="token" value="([^"]+)"\/>/.exec(res.body)?.[1] ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body).toBe(renderConnectStream({ publicBaseUrl: PUBLIC, token, callSid: CALL.CallSid, from: CALL.From, to: CALL.To }));
    expect(t.handler.answered).toEqual([
      { callSid: CALL.CallSid, accountSid: CALL.AccountSid, from: CALL.From, to: CALL.To, direction: 'inbound' },
    ]);
    expect(t.tokens.consume(CALL.CallSid, token)).toEqual({ ok: true });
  });

  it('refuses a call without a signature: 403 and nothing else happens', async () => {
    t = await createTestApp();
    const res = await post('/twilio/voice', CALL);
    expect(res.statusCode).toBe(403);
    expect(res.body).toBe('');
    expect(t.handler.answered).toEqual([]);
    expect(t.tokens.size).toBe(0);
  });

  it('refuses a forged signature', async () => {
    t = await createTestApp();
    const forged = twilioSignature('not-the-auth-token', `${PUBLIC}/twilio/voice`, CALL);
    const res = await post('/twilio/voice', CALL, { 'x-twilio-signature': forged });
    expect(res.statusCode).toBe(403);
    expect(t.handler.answered).toEqual([]);
  });

  it('refuses a captured signature replayed with altered params', async () => {
    t = await createTestApp();
    const signature = signForm('/twilio/voice', CALL);
    const res = await post('/twilio/voice', { ...CALL, From: '+15550000000' }, { 'x-twilio-signature': signature });
    expect(res.statusCode).toBe(403);
    expect(t.handler.answered).toEqual([]);
  });

  it('never builds the signed URL from Host or X-Forwarded-* headers', async () => {
    t = await createTestApp();
    const overHost = twilioSignature(AUTH_TOKEN, 'https://evil.example.com/twilio/voice', CALL);
    const refused = await post('/twilio/voice', CALL, {
      'x-twilio-signature': overHost,
      host: 'evil.example.com',
      'x-forwarded-host': 'evil.example.com',
      'x-forwarded-proto': 'https',
    });
    expect(refused.statusCode).toBe(403);
    const accepted = await post('/twilio/voice', CALL, {
      'x-twilio-signature': signForm('/twilio/voice', CALL),
      host: 'evil.example.com',
      'x-forwarded-host': 'evil.example.com',
    });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.body).toContain('wss://bot.example.com/twilio/media');
    expect(accepted.body).not.toContain('evil');
  });

  it('signs over the query string when Twilio called with one', async () => {
    t = await createTestApp();
    const res = await post('/twilio/voice?campaign=7', CALL, { 'x-twilio-signature': signForm('/twilio/voice?campaign=7', CALL) });
    expect(res.statusCode).toBe(200);
    const withoutQuery = await post('/twilio/voice?campaign=7', CALL, { 'x-twilio-signature': signForm('/twilio/voice', CALL) });
    expect(withoutQuery.statusCode).toBe(403);
  });

  it('keeps phone numbers out of plain log fields', async () => {
    t = await createTestApp();
    await post('/twilio/voice', CALL, { 'x-twilio-signature': signForm('/twilio/voice', CALL) });
    const logged = JSON.stringify(t.lines);
    expect(logged).not.toContain(CALL.From);
    expect(logged).not.toContain(CALL.To);
  });
});

describe('POST /twilio/stream-ended', () => {
  const params = { CallSid: CALL.CallSid, AccountSid: CALL.AccountSid, CallStatus: 'in-progress' };

  it('returns the apology and hang-up by default', async () => {
    t = await createTestApp();
    const res = await post('/twilio/stream-ended', params, { 'x-twilio-signature': signForm('/twilio/stream-ended', params) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(renderSayAndHangup());
    expect(t.handler.streamEndedRequests).toEqual([CALL.CallSid]);
  });

  it('returns what the call handler chooses', async () => {
    t = await createTestApp();
    t.handler.fallbackTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15550001111</Dial></Response>';
    const res = await post('/twilio/stream-ended', params, { 'x-twilio-signature': signForm('/twilio/stream-ended', params) });
    expect(res.body).toBe(t.handler.fallbackTwiml);
  });

  it('refuses an unsigned request', async () => {
    t = await createTestApp();
    const res = await post('/twilio/stream-ended', params);
    expect(res.statusCode).toBe(403);
    expect(t.handler.streamEndedRequests).toEqual([]);
  });
});

describe('POST /twilio/status', () => {
  it('forwards a signed stream status callback to the handler', async () => {
    t = await createTestApp();
    const params = { CallSid: CALL.CallSid, StreamSid: 'MZ1', StreamEvent: 'stream-stopped', AccountSid: CALL.AccountSid };
    const res = await post('/twilio/status', params, { 'x-twilio-signature': signForm('/twilio/status', params) });
    expect(res.statusCode).toBe(200);
    expect(t.handler.statuses).toEqual([
      { callSid: CALL.CallSid, callStatus: undefined, streamSid: 'MZ1', streamEvent: 'stream-stopped', params },
    ]);
  });

  it('refuses a forged status callback', async () => {
    t = await createTestApp();
    const params = { CallSid: CALL.CallSid, CallStatus: 'completed' };
    const res = await post('/twilio/status', params, { 'x-twilio-signature': signForm('/twilio/status', { ...params, CallStatus: 'busy' }) });
    expect(res.statusCode).toBe(403);
    expect(t.handler.statuses).toEqual([]);
  });
});

describe('webhooks configured as HTTP GET', () => {
  /** The URL Twilio requests for a GET webhook: the configured URL with every parameter appended as a query string. */
  function getUrl(path: string, params: Record<string, string>): string {
    return `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;
  }
  /** Twilio's own signature of a GET: the full public URL, query included, and no body parameters. */
  function signGet(pathAndQuery: string): string {
    return twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}${pathAndQuery}`, {});
  }
  async function get(pathAndQuery: string, headers: Record<string, string> = {}) {
    if (!t) throw new Error('no app');
    return t.app.inject({ method: 'GET', url: pathAndQuery, headers });
  }

  it('answers a signed GET voice webhook from its query string, like the POST', async () => {
    t = await createTestApp();
    const url = getUrl('/twilio/voice', CALL);
    const res = await get(url, { 'x-twilio-signature': signGet(url) });
    expect(res.statusCode).toBe(200);
    const token = /<Parameter name="token" value="([^"]+)"\/>/.exec(res.body)?.[1] ?? '';
    expect(res.body).toBe(renderConnectStream({ publicBaseUrl: PUBLIC, token, callSid: CALL.CallSid, from: CALL.From, to: CALL.To }));
    expect(t.handler.answered).toEqual([
      { callSid: CALL.CallSid, accountSid: CALL.AccountSid, from: CALL.From, to: CALL.To, direction: 'inbound' },
    ]);
  });

  it('keeps a query string of the configured URL inside the signed URL', async () => {
    t = await createTestApp();
    const url = getUrl('/twilio/voice?campaign=7', CALL);
    expect((await get(url, { 'x-twilio-signature': signGet(url) })).statusCode).toBe(200);
  });

  it('refuses a GET signed as a POST would be (URL without the query, parameters signed separately)', async () => {
    t = await createTestApp();
    const url = getUrl('/twilio/voice', CALL);
    const res = await get(url, { 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/twilio/voice`, CALL) });
    expect(res.statusCode).toBe(403);
    expect(t.handler.answered).toEqual([]);
  });

  it('refuses an unsigned GET and a GET whose query was altered after signing', async () => {
    t = await createTestApp();
    const url = getUrl('/twilio/voice', CALL);
    expect((await get(url)).statusCode).toBe(403);
    const altered = getUrl('/twilio/voice', { ...CALL, From: '+15550000000' });
    expect((await get(altered, { 'x-twilio-signature': signGet(url) })).statusCode).toBe(403);
    expect(t.handler.answered).toEqual([]);
    expect(t.tokens.size).toBe(0);
  });

  it('forwards a signed GET status callback', async () => {
    t = await createTestApp();
    const params = { CallSid: CALL.CallSid, CallStatus: 'completed', AccountSid: CALL.AccountSid };
    const url = getUrl('/twilio/status', params);
    const res = await get(url, { 'x-twilio-signature': signGet(url) });
    expect(res.statusCode).toBe(200);
    expect(t.handler.statuses).toEqual([{ callSid: CALL.CallSid, callStatus: 'completed', streamSid: undefined, streamEvent: undefined, params }]);
  });

  it('ignores a body sent with a GET: only the signed URL counts', async () => {
    t = await createTestApp();
    const url = getUrl('/twilio/voice', CALL);
    const res = await t.app.inject({
      method: 'GET',
      url,
      headers: { 'x-twilio-signature': signGet(url), 'content-type': 'application/x-www-form-urlencoded' },
      payload: formBody({ From: '+15550000000' }),
    });
    expect(res.statusCode).toBe(200);
    expect(t.handler.answered[0]?.from).toBe(CALL.From);
  });
});

describe('GET /healthz', () => {
  it('reports ok', async () => {
    t = await createTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });
});
