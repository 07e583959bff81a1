import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { TWILIO_FORM_MAX_BODY_BYTES, TWILIO_FORM_MAX_FIELDS } from '../../src/http/twilio-form-limits.js';
import { voiceWebhookForm } from '../telephony/fakes.js';
import { createTestApp, formBody, postSignedForm, signForm, type TestApp } from './helpers.js';

const CALL = voiceWebhookForm('CA22222222222222222222222222222222');

let t: TestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

describe('Twilio webhook limits, before any signature work', () => {
  it('answers a JSON body with a signature header with 415, never 500, and answers nothing', async () => {
    t = await createTestApp();
    for (const path of ['/twilio/voice', '/twilio/status', '/twilio/stream-ended']) {
      const res = await t.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-twilio-signature': signForm(path, CALL) },
        payload: JSON.stringify({ ...CALL, nested: { a: [1, 2] } }),
      });
      expect(res.statusCode).toBe(415);
    }
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/twilio/voice',
        headers: { 'content-type': type, 'x-twilio-signature': signForm('/twilio/voice', CALL) },
        payload: formBody(CALL),
      });
      expect(res.statusCode).toBe(415);
    }
    expect(t.handler.answered).toEqual([]);
    expect(t.tokens.size).toBe(0);
  });

  it('refuses a 1 MiB body of 128k empty fields with 413 in well under 100 ms', async () => {
    t = await createTestApp();
    const payload = '&'.repeat(1024 * 1024 - 1) + 'x';
    const started = performance.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/twilio/voice',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' },
      payload,
    });
    const elapsedMs = performance.now() - started;
    console.info(`[measure] 1 MiB body of 128k fields -> ${res.statusCode} in ${elapsedMs.toFixed(1)} ms`);
    expect(res.statusCode).toBe(413);
    expect(elapsedMs).toBeLessThan(100);
    expect(t.lines.some((l) => l.msg === 'twilio signature refused')).toBe(false);
    expect(t.handler.answered).toEqual([]);
  });

  it(`refuses a small body with more than ${TWILIO_FORM_MAX_FIELDS} fields with 400 before the signature check`, async () => {
    t = await createTestApp();
    const params: Record<string, string> = { ...CALL };
    for (let i = 0; Object.keys(params).length <= TWILIO_FORM_MAX_FIELDS; i++) params[`F${i}`] = '';
    const payload = formBody(params);
    expect(payload.length).toBeLessThan(TWILIO_FORM_MAX_BODY_BYTES);
    const res = await postSignedForm(t.app, '/twilio/voice', params);
    expect(res.statusCode).toBe(400);
    expect(t.lines.some((l) => l.msg === 'twilio signature refused')).toBe(false);
    expect(t.handler.answered).toEqual([]);
  });

  it('still answers a signed webhook with the few dozen fields Twilio sends', async () => {
    t = await createTestApp();
    const params: Record<string, string> = { ...CALL, ApiVersion: '2010-04-01' };
    for (let i = 0; i < 30; i++) params[`SipHeader_X-Extra-${i}`] = `value-${i}`;
    const res = await postSignedForm(t.app, '/twilio/voice', params);
    expect(res.statusCode).toBe(200);
    expect(t.handler.answered).toHaveLength(1);
  });

  it('logs a flood of refused requests in a few lines', async () => {
    t = await createTestApp();
    const before = t.lines.length;
    for (let i = 0; i < 300; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/twilio/voice',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
        payload: formBody(CALL),
      });
    }
    // The fake clock does not move: per kind ("twilio signature refused", "request refused") 3 lines in full.
    expect(t.lines.length - before).toBeLessThanOrEqual(10);
  });
});
