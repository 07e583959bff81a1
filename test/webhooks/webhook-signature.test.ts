import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../src/webhooks/webhook-signature.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":"evt_1","type":"call.ended","data":{}}';

describe('webhook signatures', () => {
  it('signs t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    const expected = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, BODY, 1_700_000_000.9)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signature within the replay window', () => {
    const header = signWebhook(SECRET, BODY, 1_700_000_000);
    expect(verifyWebhookSignature({ secret: SECRET, header, rawBody: BODY, nowSeconds: 1_700_000_100 })).toEqual({ ok: true, timestamp: 1_700_000_000 });
  });

  it('refuses a changed body, another secret, an old timestamp and malformed headers', () => {
    const header = signWebhook(SECRET, BODY, 1_700_000_000);
    const at = { nowSeconds: 1_700_000_010 };
    expect(verifyWebhookSignature({ secret: SECRET, header, rawBody: `${BODY} `, ...at })).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyWebhookSignature({ secret: `${SECRET}x`, header, rawBody: BODY, ...at })).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyWebhookSignature({ secret: SECRET, header, rawBody: BODY, nowSeconds: 1_700_000_301 })).toEqual({ ok: false, problem: 'expired' });
    expect(verifyWebhookSignature({ secret: SECRET, header: undefined, rawBody: BODY, ...at })).toEqual({ ok: false, problem: 'missing' });
    expect(verifyWebhookSignature({ secret: SECRET, header: 'v1=abc', rawBody: BODY, ...at })).toEqual({ ok: false, problem: 'malformed' });
    // A replayed signature with a new timestamp no longer matches: t is inside the signed text.
    const v1 = header.split('v1=')[1];
    expect(verifyWebhookSignature({ secret: SECRET, header: `t=1700000009,v1=${v1}`, rawBody: BODY, ...at })).toEqual({ ok: false, problem: 'mismatch' });
  });
});
