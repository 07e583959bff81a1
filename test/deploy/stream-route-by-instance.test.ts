/**
 * STREAM_ROUTE_BY_INSTANCE: the voice webhook's `<Stream url>` names the answering instance as a path segment (a
 * balancer routes it back there, to the pre-warmed session), and the media route serves that URL like the plain one.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { captureLogger, wire } from '../telephony/fakes.js';
import { formBody, RecordingCallHandler, signForm, signUpgrade, testConfig, waitFor } from '../http/helpers.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function answered(env: Record<string, string>): Promise<{ app: FastifyInstance; handler: RecordingCallHandler; url: string; token: string }> {
  const handler = new RecordingCallHandler();
  app = await buildApp({ config: testConfig(env), logger: captureLogger('info').logger, callHandler: handler });
  const params = { CallSid: 'CAroute1', AccountSid: 'AC1', From: '+15550000001', To: '+15550000002' };
  const response = await app.inject({
    method: 'POST',
    url: '/twilio/voice',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/voice', params) },
    payload: formBody(params),
  });
  expect(response.statusCode).toBe(200);
  return {
    app,
    handler,
    url: /<Stream url="([^"]+)"/.exec(response.body)?.[1] ?? '',
    token: /name="token" value="([^"]+)"/.exec(response.body)?.[1] ?? '',
  };
}

describe('stream URL routed by instance (STREAM_ROUTE_BY_INSTANCE)', () => {
  it('names the instance in the stream URL only when enabled', async () => {
    expect((await answered({ INSTANCE_ID: 'bot-2' })).url).toBe('wss://bot.example.com/twilio/media');
    await app?.close();
    expect((await answered({ INSTANCE_ID: 'bot-2', STREAM_ROUTE_BY_INSTANCE: 'true' })).url).toBe('wss://bot.example.com/twilio/media/bot-2');
  });

  it('serves the stream on the instance URL, signed over that URL (a signature of the plain URL is refused there)', async () => {
    const { app: target, handler, url, token } = await answered({ INSTANCE_ID: 'bot-2', STREAM_ROUTE_BY_INSTANCE: 'true' });
    const path = new URL(url).pathname;
    await expect(target.injectWS(path, { headers: { 'x-twilio-signature': signUpgrade('/twilio/media') } })).rejects.toThrow(/403/);
    const ws = await target.injectWS(path, { headers: { 'x-twilio-signature': signUpgrade(path) } });
    ws.send(JSON.stringify(wire.connected()));
    ws.send(JSON.stringify(wire.start({ streamSid: 'MZroute1', callSid: 'CAroute1', customParameters: { token, callSid: 'CAroute1' } })));
    await waitFor(() => handler.streams.length === 1, 'the stream on the instance URL');
    expect(handler.streams[0]?.start.callSid).toBe('CAroute1');
    ws.close();
  });
});
