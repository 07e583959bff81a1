import { describe, expect, it } from 'vitest';
import { parseContext, placeCallViaApi } from '../../scripts/place-call.js';

describe('scripts/place-call.ts', () => {
  it('posts the body to /calls with the bearer key and returns the answer', async () => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = [];
    const fakeFetch = (async (url: URL | string, init?: RequestInit) => {
      seen.push({ url: String(url), init });
      return new Response(JSON.stringify({ callSid: 'CA1', status: 'queued' }), { status: 201 });
    }) as typeof fetch;
    const result = await placeCallViaApi({ server: 'http://127.0.0.1:5050', apiKey: 'k'.repeat(20), body: { to: '+15550123456' } }, fakeFetch);
    expect(result).toEqual({ status: 201, json: { callSid: 'CA1', status: 'queued' } });
    expect(seen).toEqual([
      {
        url: 'http://127.0.0.1:5050/calls',
        init: { method: 'POST', headers: { authorization: `Bearer ${'k'.repeat(20)}`, 'content-type': 'application/json' }, body: '{"to":"+15550123456"}' },
      },
    ]);
  });

  it('parses repeated key=value context options and names a bad one', () => {
    expect(parseContext(['orderId=A-1042', 'note=a=b'])).toEqual({ orderId: 'A-1042', note: 'a=b' });
    expect(() => parseContext(['novalue'])).toThrow('"novalue"');
  });
});
