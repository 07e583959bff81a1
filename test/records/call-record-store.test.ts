import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MS_PER_DAY } from '../../src/infrastructure/checkpointer.js';
import { EMPTY_USAGE } from '../../src/infrastructure/openai-realtime/realtime-usage.js';
import type { CallStart, CallTotals } from '../../src/records/call-record.js';
import { createCallRecordStore, createMemoryCallRecordStore, sqlCallRecordStore, type CallRecordStore } from '../../src/records/call-record-store.js';
import { migrateRecordStore, RECORD_MIGRATIONS } from '../../src/records/record-migrations.js';
import { openPostgresDb, openSqliteDb } from '../../src/records/sql-db.js';
import { freshSchemaUrl } from './pg-schema.js';

// Set by .ci/run, which starts a throwaway PostgreSQL on loopback; read here only to gate the real-server tests.
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const DAY0 = Date.UTC(2025, 0, 1);

function start(callSid: string, startedAtMs: number, initialAgent = 'front_desk'): CallStart {
  return {
    callSid,
    streamSid: `MZ-${callSid}`,
    direction: 'inbound',
    from: '+1******0001',
    to: '+1******0002',
    startedAtMs,
    answeredAtMs: startedAtMs + 2_000,
    initialAgent,
    transcriptsStored: true,
  };
}

function totals(agents: string[], extra: Partial<CallTotals> = {}): CallTotals {
  return { finalAgent: agents.at(-1) as string, agents, responses: 2, usage: { ...EMPTY_USAGE, outputAudioTokens: 40 }, estimatedCostUsd: 0.00256, ...extra };
}

/** The same contract for every backend; `clock` moves the store's wall time. */
async function exerciseStore(store: CallRecordStore, clock: { now: number }, prefix: string): Promise<void> {
  clock.now = DAY0;
  await store.startCall(start(`${prefix}-a`, DAY0));
  await store.writeEntries(`${prefix}-a`, [
    { key: 'turn:i1', seq: 1, kind: 'turn', atMs: 100, data: { speaker: 'bot', itemId: 'i1', agent: 'front_desk', interrupted: false, heardMs: 0, text: 'Hel' } },
    { key: 'e2', seq: 2, kind: 'dtmf', atMs: 900, data: { digit: '5' } },
  ]);
  // A turn is overwritten as it completes; its place in the order (seq) stays.
  await store.writeEntries(
    `${prefix}-a`,
    [
      { key: 'turn:i1', seq: 1, kind: 'turn', atMs: 100, data: { speaker: 'bot', itemId: 'i1', agent: 'front_desk', interrupted: false, heardMs: 1500, text: 'Hello there', startMs: 100, endMs: 1600 } },
      { key: 'e3', seq: 3, kind: 'agent_switch', atMs: 5000, data: { from: 'front_desk', to: 'billing', intent: 'bill_explanation', confidence: 0.8 } },
    ],
    totals(['front_desk', 'billing']),
  );
  const live = await store.getCall(`${prefix}-a`);
  expect(live?.endReason).toBeNull();
  expect(live?.turns).toEqual([{ speaker: 'bot', itemId: 'i1', agent: 'front_desk', interrupted: false, heardMs: 1500, text: 'Hello there', startMs: 100, endMs: 1600 }]);
  expect(live?.dtmf).toEqual([{ atMs: 900, digit: '5' }]);
  await store.finishCall(`${prefix}-a`, { endedAtMs: DAY0 + 32_000, endReason: 'twilio_stop', totals: totals(['front_desk', 'billing'], { durationMs: 30_000 }) });
  const record = await store.getCall(`${prefix}-a`);
  expect(record).toMatchObject({
    callSid: `${prefix}-a`,
    from: '+1******0001',
    startedAt: '2025-01-01T00:00:00.000Z',
    answeredAt: '2025-01-01T00:00:02.000Z',
    endedAt: '2025-01-01T00:00:32.000Z',
    durationMs: 30_000,
    endReason: 'twilio_stop',
    agents: { initial: 'front_desk', final: 'billing', timeline: [{ agent: 'front_desk', fromMs: 0 }, { agent: 'billing', fromMs: 5000 }] },
    agentSwitches: [{ atMs: 5000, from: 'front_desk', to: 'billing', intent: 'bill_explanation', confidence: 0.8 }],
    usage: { responses: 2, estimatedCostUsd: 0.00256 },
  });

  await store.startCall(start(`${prefix}-b`, DAY0 + 20 * MS_PER_DAY, 'technical_support'));
  await store.finishCall(`${prefix}-b`, { endedAtMs: DAY0 + 20 * MS_PER_DAY + 9_000, endReason: 'realtime_error', totals: totals(['technical_support']) });
  const all = await store.listCalls({ limit: 10 });
  expect(all.map((c) => c.callSid)).toEqual([`${prefix}-b`, `${prefix}-a`]);
  expect((await store.listCalls({ limit: 1 })).map((c) => c.callSid)).toEqual([`${prefix}-b`]);
  expect((await store.listCalls({ limit: 10, beforeMs: DAY0 + MS_PER_DAY })).map((c) => c.callSid)).toEqual([`${prefix}-a`]);
  expect((await store.listCalls({ limit: 10, agent: 'billing' })).map((c) => c.callSid)).toEqual([`${prefix}-a`]);
  expect((await store.listCalls({ limit: 10, agent: 'bill' })).map((c) => c.callSid)).toEqual([]);
  expect((await store.listCalls({ limit: 10, endReason: 'realtime_error' })).map((c) => c.callSid)).toEqual([`${prefix}-b`]);
  expect(await store.getCall('CA-unknown')).toBeUndefined();

  // Several calls' entries in one transaction (the flush tick), all or none.
  const digit = (key: string, value: string) => ({ key, seq: Number(key.slice(1)), kind: 'dtmf' as const, atMs: 700, data: { digit: value } });
  await store.writeEntriesBatch([
    { callSid: `${prefix}-a`, entries: [digit('e7', '7')] },
    { callSid: `${prefix}-b`, entries: [digit('e8', '8')], totals: totals(['technical_support', 'billing']) },
  ]);
  await expect(
    store.writeEntriesBatch([
      { callSid: `${prefix}-b`, entries: [digit('e9', '9')] },
      { callSid: null as unknown as string, entries: [digit('e10', '0')] },
    ]),
  ).rejects.toThrow();
  expect((await store.getCall(`${prefix}-a`))?.dtmf).toEqual([{ atMs: 900, digit: '5' }, { atMs: 700, digit: '7' }]);
  expect((await store.getCall(`${prefix}-b`))?.dtmf).toEqual([{ atMs: 700, digit: '8' }]);
  expect((await store.getCall(`${prefix}-b`))?.agents.final).toBe('billing');

  // Retention: 35 days after DAY0, only the call of day 20 is younger than 30 days.
  clock.now = DAY0 + 35 * MS_PER_DAY;
  expect(await store.pruneCalls(30)).toBe(1);
  expect(await store.getCall(`${prefix}-a`)).toBeUndefined();
  expect((await store.listCalls({ limit: 10 })).map((c) => c.callSid)).toEqual([`${prefix}-b`]);
}

describe('call record store', () => {
  it('memory: writes incrementally, reads back, lists with filters and prunes by age', async () => {
    const clock = { now: DAY0 };
    const store = await createMemoryCallRecordStore({ now: () => clock.now });
    await exerciseStore(store, clock, 'CAmem');
    await store.close();
  });

  it('SQLite: the same, in the checkpoint file under DATA_DIR, and records survive a reopen', async () => {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'records-')), 'data');
    const clock = { now: DAY0 };
    const store = await createCallRecordStore({ dataDir, databaseUrl: undefined }, { now: () => clock.now });
    expect(store.kind).toBe('sqlite');
    await exerciseStore(store, clock, 'CAsql');
    await store.close();
    const reopened = await createCallRecordStore({ dataDir, databaseUrl: undefined });
    expect((await reopened.getCall('CAsql-b'))?.endReason).toBe('realtime_error');
    await reopened.close();
  });

  it('applies each migration once, in order, and records it', async () => {
    const db = openSqliteDb(':memory:');
    expect(await migrateRecordStore(db)).toEqual(RECORD_MIGRATIONS.map((m) => m.version));
    expect(await migrateRecordStore(db)).toEqual([]);
    const rows = await db.query<{ version: number }>('SELECT version FROM call_record_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    await db.close();
  });

  it('applies a lower version merged after a higher one was applied (branches number their migrations ahead)', async () => {
    const db = openSqliteDb(':memory:');
    const withoutV4 = RECORD_MIGRATIONS.filter((m) => m.version !== 4);
    expect(await migrateRecordStore(db, withoutV4)).toEqual([1, 2, 3, 5]);
    expect(await migrateRecordStore(db)).toEqual([4]);
    expect(await migrateRecordStore(db)).toEqual([]);
    expect(await db.query("SELECT name FROM sqlite_master WHERE name = 'conversation_contexts'")).toEqual([{ name: 'conversation_contexts' }]);
    await db.close();
  });

  it('rolls a failing migration back and names it', async () => {
    const db = openSqliteDb(':memory:');
    const broken = [...RECORD_MIGRATIONS, { version: 99, name: 'broken step', sqlite: 'CREATE TABLE ok_table (x INTEGER); CREATE TABLE nope (', postgres: '' }];
    await expect(migrateRecordStore(db, broken)).rejects.toThrow(/migration 99 \(broken step\) failed/);
    // The whole batch was one transaction: nothing of it stayed.
    expect(await db.query("SELECT name FROM sqlite_master WHERE name IN ('ok_table', 'call_records')")).toEqual([]);
    await db.close();
  });

  it('fails at boot with a readable error when Postgres is unreachable', async () => {
    await expect(createCallRecordStore({ dataDir: '/nonexistent', databaseUrl: 'postgresql://nobody@127.0.0.1:1/none' })).rejects.toThrow(
      /Cannot set up the call record store at 127\.0\.0\.1:1\/none/,
    );
  });
});

describe.runIf(TEST_DATABASE_URL)('call record store on PostgreSQL (TEST_DATABASE_URL)', () => {
  it('passes the same contract, with migrations applied once across two boots', async () => {
    const url = await freshSchemaUrl(TEST_DATABASE_URL as string, 'records_contract');
    const [one, two] = await Promise.all([createCallRecordStore({ dataDir: '/unused', databaseUrl: url }), createCallRecordStore({ dataDir: '/unused', databaseUrl: url })]);
    expect(one.kind).toBe('postgres');
    await two.close();
    await one.close();
    const clock = { now: DAY0 };
    const db = openPostgresDb(url);
    const store = sqlCallRecordStore(db, 'postgres', () => clock.now);
    expect(await db.query('SELECT version FROM call_record_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
    await exerciseStore(store, clock, 'CApg');
    await store.close();
  });
});
