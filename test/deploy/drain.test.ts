import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { DrainState } from '../../src/deploy/drain-state.js';
import { runDrain, type DrainableCalls } from '../../src/deploy/drain.js';
import { systemClock } from '../../src/telephony/clock.js';
import { READY_PATH } from '../../src/http/health-route.js';
import { captureLogger } from '../telephony/fakes.js';
import { RecordingCallHandler, formBody, signForm, testConfig } from '../http/helpers.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function drainingApp(): Promise<{ app: FastifyInstance; drain: DrainState; handler: RecordingCallHandler }> {
  const drain = new DrainState();
  const handler = new RecordingCallHandler();
  const { logger } = captureLogger('debug');
  const app = await buildApp({ config: testConfig(), logger, callHandler: handler, drain });
  apps.push(app);
  return { app, drain, handler };
}

function voiceWebhook(app: FastifyInstance, callSid: string) {
  const params = { CallSid: callSid, AccountSid: 'AC1', From: '+15550000001', To: '+15550000002' };
  return app.inject({
    method: 'POST',
    url: '/twilio/voice',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/voice', params) },
    payload: formBody(params),
  });
}

describe('readiness and the new-call gate', () => {
  it('/readyz is 200 while serving and 503 from the drain on; calls are answered in the grace and refused after it', async () => {
    const { app, drain, handler } = await drainingApp();
    expect((await app.inject({ url: READY_PATH })).statusCode).toBe(200);

    drain.beginDrain();
    const notReady = await app.inject({ url: READY_PATH });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'draining' });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await voiceWebhook(app, 'CAgrace')).statusCode).toBe(200);

    drain.refuseNewCalls();
    const refused = await voiceWebhook(app, 'CAlate');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(handler.answered.map((call) => call.callSid)).toEqual(['CAgrace']);
    // A live call's callbacks still reach the instance.
    const status = { CallSid: 'CAgrace', CallStatus: 'completed' };
    const callback = await app.inject({
      method: 'POST',
      url: '/twilio/status',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('/twilio/status', status) },
      payload: formBody(status),
    });
    expect(callback.statusCode).toBe(200);
  });
});

/** Calls that end on a schedule (real timers), like a CallManager's. */
class ScheduledCalls implements DrainableCalls {
  activeCalls: number;
  awaitingStreams = 0;
  fallbacksPending = 0;
  ended: string[] = [];
  constructor(endsAfterMs: readonly number[]) {
    this.activeCalls = endsAfterMs.length;
    for (const ms of endsAfterMs) setTimeout(() => (this.activeCalls -= 1), ms);
  }
  async endLiveCalls(reason: 'server_shutdown'): Promise<number> {
    const count = this.activeCalls;
    this.ended.push(reason);
    this.activeCalls = 0;
    this.fallbacksPending = count;
    setTimeout(() => (this.fallbacksPending = 0), 50);
    return count;
  }
}

describe('runDrain', () => {
  it('waits out the grace, then for live calls and for calls whose stream is on its way, and cuts none', async () => {
    const state = new DrainState();
    const calls = new ScheduledCalls([200, 450]);
    calls.awaitingStreams = 1;
    setTimeout(() => (calls.awaitingStreams = 0), 600);
    const { logger } = captureLogger('info');
    const started = Date.now();
    const drained = runDrain({ state, calls, logger, clock: systemClock, graceMs: 100, timeoutMs: 5_000 });
    expect(state.phase).toBe('draining');
    const report = await drained;
    expect(state.phase).toBe('refusing');
    expect(report).toMatchObject({ callsEnded: 0, fallbacksMissed: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    expect(calls.ended).toEqual([]);
  });

  it('ends the calls still live at the timeout and waits for their fallbacks', async () => {
    const calls = new ScheduledCalls([10_000, 10_000]);
    const { logger, lines } = captureLogger('info');
    const report = await runDrain({ state: new DrainState(), calls, logger, clock: systemClock, graceMs: 50, timeoutMs: 300 });
    expect(report.callsEnded).toBe(2);
    expect(report.fallbacksMissed).toBe(0);
    expect(report.durationMs).toBeGreaterThanOrEqual(300);
    expect(report.durationMs).toBeLessThan(2_000);
    expect(calls.ended).toEqual(['server_shutdown']);
    expect(lines.some((line) => line.msg === 'drain timeout: ending the remaining calls with a closing line')).toBe(true);
  });
});
