/**
 * Replayed voice webhooks against the whole server: a captured, correctly signed webhook re-posted opens no paid
 * Realtime session (counted at the Realtime fake), gets no token, and never disturbs the real call.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot } from '../../src/server.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { twilioSignature, voiceWebhookForm } from '../telephony/fakes.js';
import { startTwilioCall } from './twilio-driver.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('replayed voice webhooks', () => {
  it('open no second Realtime session, before or after the stream started', async () => {
    const fake = await RealtimeFakeServer.start({ script: { greeting: { transcript: 'Hello.', durationMs: 200 } } });
    cleanup.push(() => fake.close());
    const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword' });
    const bot = await createVoiceBot(config, { logger: createLogger('silent'), store: createMemoryCheckpointer() });
    cleanup.push(() => bot.close());
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const localUrl = `http://127.0.0.1:${(bot.app.server.address() as AddressInfo).port}`;
    const replay = async (callSid: string) => {
      const params = voiceWebhookForm(callSid);
      const res = await fetch(`${localUrl}/twilio/voice`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, params) },
        body: new URLSearchParams(params).toString(),
      });
      return { status: res.status, body: await res.text() };
    };

    // A live call, then its captured webhook replayed: 403, no token, still one upstream session.
    const driver = await startTwilioCall({ localUrl, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, callSid: 'CA_REPLAY_LIVE_000000000000000000000' });
    cleanup.push(() => driver.hangUp());
    await until(() => driver.mediaAt.length > 0);
    const afterStart = await replay('CA_REPLAY_LIVE_000000000000000000000');
    expect(afterStart).toEqual({ status: 403, body: '' });
    expect(fake.totalConnections).toBe(1);
    expect(bot.calls.activeCalls).toBe(1);

    // A ringing call's webhook replayed while its token is unconsumed: the duplicate opens nothing.
    const first = await replay('CA_REPLAY_RING_000000000000000000000');
    const duplicate = await replay('CA_REPLAY_RING_000000000000000000000');
    expect(first.status).toBe(200);
    expect(duplicate).toEqual({ status: 403, body: '' });
    await until(() => fake.totalConnections === 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.totalConnections).toBe(2);
    expect(bot.calls.prewarmedSessions).toBe(1);
    // The live call never noticed.
    expect(driver.closedAt).toBeUndefined();
    console.info(`[measure] replay: after stream start 403, during ringing 403; upstream sessions opened ${fake.totalConnections} for 2 calls`);
  });
});
