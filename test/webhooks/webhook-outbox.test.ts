import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createCallRecordStore, createMemoryCallRecordStore, type CallRecordStore } from '../../src/records/call-record-store.js';
import { retryDelayMs, WebhookOutbox } from '../../src/webhooks/webhook-outbox.js';
import { until } from '../records/replay-with-records.js';
import { WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'whsec-0123456789abcdef';
const logger = createLogger('silent');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start(SECRET);
  cleanup.push(() => r.close());
  return r;
}

function outbox(store: CallRecordStore, url: string, overrides: Partial<{ retryBaseMs: number; now: () => number }> = {}): WebhookOutbox {
  const box = new WebhookOutbox({
    db: store.db,
    config: { url, secret: SECRET, retryBaseMs: overrides.retryBaseMs ?? 30, retryMaxMs: 1_000 },
    logger,
    pollMs: 20,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  cleanup.push(() => box.close());
  return box;
}

describe('retryDelayMs', () => {
  it('doubles from the base up to the cap, with half of it jittered', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5_000, 3_600_000, 0))).toEqual([2_500, 5_000, 10_000, 20_000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5_000, 3_600_000, 0.999999))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(30, 5_000, 3_600_000, 0.5)).toBe(2_700_000);
  });
});

describe('the webhook outbox', () => {
  it('delivers a signed event the receiver verifies, with its event id', async () => {
    const r = await receiver();
    const store = await createMemoryCallRecordStore();
    cleanup.push(() => store.close());
    const box = outbox(store, r.url);
    box.start();
    const eventId = await box.enqueue('call.started', 'CA1', { callSid: 'CA1', direction: 'inbound' });
    await until(() => r.accepted.length === 1);
    expect(r.requests).toHaveLength(1);
    expect(r.accepted[0]).toMatchObject({ eventId, verified: true, body: { id: eventId, type: 'call.started', data: { callSid: 'CA1' } } });
    await until(() => false, 100).catch(() => undefined);
    expect((await box.store.state(eventId))?.deliveredAtMs).not.toBeNull();
  });

  it('a receiver that fails twice then succeeds gets exactly one successful delivery', async () => {
    const r = await receiver();
    r.failures = 2;
    const store = await createMemoryCallRecordStore();
    cleanup.push(() => store.close());
    const box = outbox(store, r.url);
    box.start();
    const eventId = await box.enqueue('call.ended', 'CA2', { callSid: 'CA2' });
    await until(() => r.accepted.length === 1, 5_000);
    // Give a wrongly scheduled retry the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests.map((e) => e.status)).toEqual([500, 500, 200]);
    expect(r.requests.every((e) => e.eventId === eventId && e.verified)).toBe(true);
    expect(r.accepted).toHaveLength(1);
    expect(await box.store.state(eventId)).toMatchObject({ attempts: 3, failedAtMs: null, lastError: null });
  });

  it('a server restart between attempts still delivers it, once', async () => {
    const r = await receiver();
    r.failures = 1;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    const first = await createCallRecordStore({ dataDir, databaseUrl: undefined });
    // A long first backoff: the process "dies" before the retry is due.
    const before = outbox(first, r.url, { retryBaseMs: 400 });
    before.start();
    const eventId = await before.enqueue('call.ended', 'CA3', { callSid: 'CA3' });
    await until(() => r.requests.length === 1);
    await before.close();
    await first.close();
    expect(r.accepted).toHaveLength(0);

    const second = await createCallRecordStore({ dataDir, databaseUrl: undefined });
    cleanup.push(() => second.close());
    const after = outbox(second, r.url);
    after.start();
    await until(() => r.accepted.length === 1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests.map((e) => [e.eventId, e.status])).toEqual([
      [eventId, 500],
      [eventId, 200],
    ]);
    expect((await after.store.state(eventId))?.attempts).toBe(2);
  });

  it('gives an event up after 24 hours of failures', async () => {
    const r = await receiver();
    r.failures = 1_000;
    const store = await createMemoryCallRecordStore();
    cleanup.push(() => store.close());
    // The first attempt is signed a day ago (the receiver refuses it as outside its replay window), the last now.
    let now = Date.now() - 24 * 60 * 60 * 1000;
    const box = outbox(store, r.url, { now: () => now });
    const eventId = await box.enqueue('call.ended', 'CA4', {});
    await box.deliverDue();
    expect(await box.store.state(eventId)).toMatchObject({ attempts: 1, lastError: 'HTTP 400', failedAtMs: null });
    now += 24 * 60 * 60 * 1000;
    await box.deliverDue();
    expect(await box.store.state(eventId)).toMatchObject({ attempts: 2, lastError: 'HTTP 500' });
    expect((await box.store.state(eventId))?.failedAtMs).toBe(now);
    await box.deliverDue();
    expect(r.requests).toHaveLength(2);
  });
});
