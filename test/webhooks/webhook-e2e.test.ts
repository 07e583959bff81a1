import { describe, expect, it } from 'vitest';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { replayWithRecords, until } from '../records/replay-with-records.js';
import { WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'whsec-e2e-0123456789abcdef';

describe('the post-call webhook on a replayed call', () => {
  it('posts call.started as the call rings and call.ended with the finished record, both signed', { timeout: 60_000 }, async () => {
    const receiver = await WebhookReceiver.start(SECRET);
    receiver.failures = 1;
    const recordStore = await createMemoryCallRecordStore();
    try {
      await replayWithRecords('dtmf-account-number.jsonl', {
        recordStore,
        env: { CALL_WEBHOOK_URL: receiver.url, CALL_WEBHOOK_SECRET: SECRET, CALL_WEBHOOK_RETRY_BASE_MS: '50' },
        check: async ({ summary, record }) => {
          await until(() => receiver.accepted.length === 2, 10_000);
          const [started, ended] = receiver.accepted;
          expect(receiver.requests.every((r) => r.verified)).toBe(true);
          expect(started?.body).toMatchObject({ type: 'call.started', data: { callSid: summary?.callSid, direction: 'inbound', from: '+1******0001' } });
          expect(ended?.body.type).toBe('call.ended');
          expect(ended?.body.data).toEqual(JSON.parse(JSON.stringify(record)));
          expect(ended?.body.data.dtmf).toHaveLength(5);
        },
      });
    } finally {
      await recordStore.close();
      await receiver.close();
    }
  });
});
