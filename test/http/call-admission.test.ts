import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CallStatusLookup } from '../../src/telephony/call-status-verifier.js';
import { voiceWebhookForm, wire } from '../telephony/fakes.js';
import { createTestApp, postSignedForm, signUpgrade, waitFor, type TestApp } from './helpers.js';

const CALL = voiceWebhookForm('CA33333333333333333333333333333333');

let t: TestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

/** The captured, correctly signed voice webhook, posted (again). */
async function postVoice(app: TestApp, params: Record<string, string> = CALL) {
  return postSignedForm(app.app, '/twilio/voice', params);
}

function tokenOf(body: string): string | undefined {
  return /<Parameter name="token" value="([^"]+)"\/>/.exec(body)?.[1];
}

/** Starts the media stream with `token` over injectWS; resolves once the handler took it. */
async function startStream(app: TestApp, callSid: string, token: string): Promise<WebSocket> {
  const ws = await app.app.injectWS('/twilio/media', { headers: { 'x-twilio-signature': signUpgrade() } });
  ws.send(JSON.stringify(wire.connected()));
  ws.send(JSON.stringify(wire.start({ streamSid: 'MZ1', callSid, customParameters: { token } })));
  await waitFor(() => app.handler.streams.length === 1, 'stream start');
  return ws;
}

/** A REST lookup that answers from a table (or never, for a CallSid mapped to 'hang'), counting requests. */
function fakeLookup(statuses: Record<string, string | Error | 'hang'>): CallStatusLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetchStatus(callSid) {
      calls.push(callSid);
      const status = statuses[callSid];
      if (status === 'hang') return new Promise<string>(() => undefined);
      if (status instanceof Error) return Promise.reject(status);
      return Promise.resolve(status ?? 'ringing');
    },
  };
}

describe('a CallSid is answerable once', () => {
  it('refuses a replay after the stream started: 403, no token, nothing pre-warmed', async () => {
    t = await createTestApp();
    const first = await postVoice(t);
    const token = tokenOf(first.body) ?? '';
    await startStream(t, CALL.CallSid, token);
    const replay = await postVoice(t);
    expect(replay.statusCode).toBe(403);
    expect(replay.body).toBe('');
    expect(t.handler.answered).toHaveLength(1);
    expect(t.tokens.has(CALL.CallSid)).toBe(false);
  });

  it('refuses a duplicate while the first answer is unconsumed, and the first token still starts the stream', async () => {
    t = await createTestApp();
    const first = await postVoice(t);
    const duplicate = await postVoice(t);
    expect(first.statusCode).toBe(200);
    expect(duplicate.statusCode).toBe(403);
    expect(tokenOf(duplicate.body)).toBeUndefined();
    expect(t.handler.answered).toHaveLength(1);
    await startStream(t, CALL.CallSid, tokenOf(first.body) ?? '');
    expect(t.handler.streams[0]?.start.callSid).toBe(CALL.CallSid);
  });

  it('refuses a replay after the first answer expired unused (the CallSid was served)', async () => {
    t = await createTestApp();
    expect((await postVoice(t)).statusCode).toBe(200);
    t.clock.advance(30_000);
    expect((await postVoice(t)).statusCode).toBe(403);
    expect(t.handler.answered).toHaveLength(1);
  });

  it('answers other calls as usual', async () => {
    t = await createTestApp();
    expect((await postVoice(t)).statusCode).toBe(200);
    expect((await postVoice(t, { ...CALL, CallSid: 'CA44444444444444444444444444444444' })).statusCode).toBe(200);
    expect(t.handler.answered).toHaveLength(2);
  });
});

describe('with Twilio credentials, a new CallSid is verified with the REST API first', () => {
  it('answers a ringing call and refuses a completed or unknown one without pre-warming', async () => {
    const notFound = Object.assign(new Error('The requested resource was not found'), { status: 404, code: 20404 });
    const lookup = fakeLookup({ CA_done: 'completed', CA_unknown: notFound });
    t = await createTestApp({ callStatusLookup: lookup });
    expect((await postVoice(t)).statusCode).toBe(200);
    expect((await postVoice(t, { ...CALL, CallSid: 'CA_done' })).statusCode).toBe(403);
    expect((await postVoice(t, { ...CALL, CallSid: 'CA_unknown' })).statusCode).toBe(403);
    expect(t.handler.answered.map((c) => c.callSid)).toEqual([CALL.CallSid]);
    expect(lookup.calls).toEqual([CALL.CallSid, 'CA_done', 'CA_unknown']);
    expect(t.lines.filter((l) => l.msg === 'voice webhook for a call that is not live refused')).toHaveLength(2);
  });

  it('answers when the check misses its deadline (failure mode "answer", the default), and logs it', async () => {
    t = await createTestApp({ callStatusLookup: fakeLookup({ [CALL.CallSid]: 'hang' }), env: { TWILIO_VERIFY_TIMEOUT_MS: '2000' } });
    const pending = postVoice(t);
    await waitFor(() => t?.clock.pendingTimers !== 0, 'deadline armed');
    t.clock.advance(2_000);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(t.handler.answered).toHaveLength(1);
    expect(t.lines.find((l) => l.msg === 'twilio call status check failed')).toMatchObject({ onError: 'answer', callSid: CALL.CallSid });
  });

  it('refuses when the check fails and the failure mode is "refuse"', async () => {
    t = await createTestApp({
      callStatusLookup: fakeLookup({ [CALL.CallSid]: Object.assign(new Error('Service unavailable'), { status: 503 }) }),
      env: { TWILIO_VERIFY_ON_ERROR: 'refuse' },
    });
    const res = await postVoice(t);
    expect(res.statusCode).toBe(403);
    expect(t.handler.answered).toEqual([]);
    expect(t.lines.find((l) => l.msg === 'twilio call status check failed')).toMatchObject({ onError: 'refuse', status: 503 });
  });
});
