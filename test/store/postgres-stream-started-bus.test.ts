/** The stream-started bus on a real Postgres (TEST_DATABASE_URL): delivery to the others, reconnect after a drop. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresDb } from '../../src/records/sql-db.js';
import { openPostgresStreamStartedBus, STREAM_STARTED_CHANNEL } from '../../src/store/postgres-stream-started-bus.js';
import type { StreamStartedBus } from '../../src/store/stream-started-bus.js';
import { captureLogger } from '../telephony/fakes.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const open: StreamStartedBus[] = [];
afterEach(async () => {
  for (const bus of open.splice(0)) await bus.close();
});

describe.runIf(TEST_DATABASE_URL)('Postgres stream-started bus (TEST_DATABASE_URL)', () => {
  it('delivers an announcement to the other instances, not back to its sender, and ignores malformed payloads', async () => {
    const capture = captureLogger('info');
    const a = await openPostgresStreamStartedBus({ connectionString: TEST_DATABASE_URL as string, logger: capture.logger });
    const b = await openPostgresStreamStartedBus({ connectionString: TEST_DATABASE_URL as string, logger: capture.logger });
    open.push(a, b);
    const toA: string[] = [];
    const toB: string[] = [];
    a.subscribe((callSid) => toA.push(callSid));
    b.subscribe((callSid) => toB.push(callSid));
    const db = openPostgresDb(TEST_DATABASE_URL as string);
    try {
      await db.query('SELECT pg_notify($1, $2)', [STREAM_STARTED_CHANNEL, 'not json']);
      await db.query('SELECT pg_notify($1, $2)', [STREAM_STARTED_CHANNEL, JSON.stringify({ i: 'x', c: 'CA; DROP' })]);
    } finally {
      await db.close();
    }
    const sid = `CA${randomBytes(8).toString('hex')}`;
    a.publish(sid);
    await until(() => toB.includes(sid));
    // A later announcement from B arrives at A after A's own would have (one connection, in order): A heard only B's.
    const back = `CA${randomBytes(8).toString('hex')}`;
    b.publish(back);
    await until(() => toA.includes(back));
    expect(toA.filter((s) => s === sid)).toEqual([]);
    expect(toB.filter((s) => s === sid)).toEqual([sid]);
    expect(capture.lines.filter((line) => line.msg === 'malformed stream-started announcement ignored').length).toBeGreaterThanOrEqual(2);
  });

  it('reconnects when its connection is terminated, and hears announcements again', async () => {
    const capture = captureLogger('info');
    const name = `vb-bus-test-${randomBytes(4).toString('hex')}`;
    const listener = await openPostgresStreamStartedBus({ connectionString: TEST_DATABASE_URL as string, logger: capture.logger, applicationName: name });
    const sender = await openPostgresStreamStartedBus({ connectionString: TEST_DATABASE_URL as string, logger: capture.logger });
    open.push(listener, sender);
    const got: string[] = [];
    listener.subscribe((callSid) => got.push(callSid));
    const db = openPostgresDb(TEST_DATABASE_URL as string);
    try {
      // The pid first, then the one termination (a WHERE with both may run pg_terminate_backend on every row).
      const rows = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name]);
      expect(rows).toHaveLength(1);
      await db.query('SELECT pg_terminate_backend($1::int)', [rows[0]?.pid ?? -1]);
    } finally {
      await db.close();
    }
    await until(() => capture.lines.some((line) => line.msg === 'stream-started listener reconnected'));
    const sid = `CA${randomBytes(8).toString('hex')}`;
    sender.publish(sid);
    await until(() => got.includes(sid));
    expect(capture.lines.some((line) => line.msg === 'stream-started listener disconnected; reconnecting')).toBe(true);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
