import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type WebSocket from 'ws';
import { serviceSamplesPerMs } from '../../src/audio/audio-format.js';
import { buildApp } from '../../src/http/app.js';
import { migrateRecordStore } from '../../src/records/record-migrations.js';
import { openSqliteDb } from '../../src/records/sql-db.js';
import { SharedCallState } from '../../src/store/shared-call-state.js';
import { SignedStreamTokens } from '../../src/telephony/signed-stream-token.js';
import { captureLogger, wire } from '../telephony/fakes.js';
import { AUTH_TOKEN, RecordingCallHandler, formBody, signForm, signUpgrade, testConfig, waitFor } from '../http/helpers.js';

const apps: FastifyInstance[] = [];
let shared: SharedCallState | undefined;
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await shared?.close();
  shared = undefined;
});

/** Two instances (apps) sharing one store and the auth token, as N processes on one database do. */
async function twoInstances(): Promise<Array<{ app: FastifyInstance; handler: RecordingCallHandler }>> {
  const db = openSqliteDb(':memory:');
  await migrateRecordStore(db);
  const state = new SharedCallState(db, { answerWindowMs: 30_000 });
  shared = state;
  const instances = [];
  for (let i = 0; i < 2; i += 1) {
    const handler = new RecordingCallHandler();
    const config = testConfig();
    const app = await buildApp({
      config,
      logger: captureLogger('debug').logger,
      callHandler: handler,
      admissions: state,
      signedTokens: {
        tokens: new SignedStreamTokens({ secret: AUTH_TOKEN, ttlMs: config.streamTokenTtlMs }),
        useStreamToken: (nonce, callSid, expiresAtMs) => state.useStreamToken(nonce, callSid, expiresAtMs),
      },
    });
    apps.push(app);
    instances.push({ app, handler });
  }
  return instances;
}

async function answer(app: FastifyInstance, callSid: string): Promise<{ status: number; token: string | undefined }> {
  const params = { CallSid: callSid, AccountSid: 'AC1', From: '+15550000001', To: '+15550000002' };
  const response = await app.inject({
    method: 'POST',
    url: '/twilio/voice',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/voice', params) },
    payload: formBody(params),
  });
  return { status: response.statusCode, token: /name="token" value="([^"]+)"/.exec(response.body)?.[1] };
}

async function stream(app: FastifyInstance, callSid: string, token: string): Promise<{ ws: WebSocket; closed: { code?: number } }> {
  const ws = await app.injectWS('/twilio/media', { headers: { 'x-twilio-signature': signUpgrade() } });
  const closed: { code?: number } = {};
  ws.on('close', (code) => (closed.code = code));
  ws.send(JSON.stringify(wire.connected()));
  ws.send(JSON.stringify(wire.start({ streamSid: `MZ${callSid}`, callSid, customParameters: { token, callSid } })));
  // Frames right behind `start`, before the shared store has confirmed the token's first use: none may be lost.
  for (let i = 0; i < 5; i += 1) {
    const bytes = new Uint8Array(160).fill(0x10);
    ws.send(JSON.stringify(wire.media({ streamSid: `MZ${callSid}`, sequenceNumber: 3 + i, chunk: 1 + i, timestampMs: 52 + 20 * i, bytes })));
  }
  return { ws, closed };
}

describe('self-contained stream tokens across instances', () => {
  it('a webhook answered by one instance streams on the other, once; a replayed webhook or token is refused on both', async () => {
    const [a, b] = await twoInstances();
    if (!a || !b) throw new Error('two instances expected');
    const { status, token } = await answer(a.app, 'CA1');
    expect(status).toBe(200);
    expect(token).toMatch(/^v1\./);

    const first = await stream(b.app, 'CA1', token ?? '');
    await waitFor(() => b.handler.streams.length === 1, 'stream on the other instance');
    expect(b.handler.streams[0]?.start.callSid).toBe('CA1');
    // 5 frames of 20 ms, at the service's sample rate for the configured Realtime wire format (8 kHz for pcmu).
    const expected = 5 * 20 * serviceSamplesPerMs(testConfig().openai.realtimeAudioFormat);
    await waitFor(() => (b.handler.streams[0]?.samples ?? 0) >= expected, 'the frames sent right after start');
    expect(b.handler.streams[0]?.samples).toBe(expected);
    expect(first.closed.code).toBeUndefined();

    // The same token again, on either instance: closed with 1008, no call handler runs.
    for (const instance of [a, b]) {
      const replay = await stream(instance.app, 'CA1', token ?? '');
      await waitFor(() => replay.closed.code !== undefined, 'replay closed');
      expect(replay.closed.code).toBe(1008);
    }
    expect(a.handler.streams).toHaveLength(0);
    expect(b.handler.streams).toHaveLength(1);

    // The CallSid was answered once across the instances.
    expect((await answer(b.app, 'CA1')).status).toBe(403);
    expect((await answer(a.app, 'CA1')).status).toBe(403);

    // A valid token presented for another CallSid is refused.
    const other = await answer(b.app, 'CA2');
    const wrong = await stream(a.app, 'CA3', other.token ?? '');
    await waitFor(() => wrong.closed.code !== undefined, 'wrong call closed');
    expect(wrong.closed.code).toBe(1008);
    first.ws.close();
  });
});
