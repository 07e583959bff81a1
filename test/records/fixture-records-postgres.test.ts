import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCallRecordStore, type CallRecordStore } from '../../src/records/call-record-store.js';
import { freshSchemaUrl } from './pg-schema.js';
import { recordMismatches } from './record-expectations.js';
import { FIXTURES, replayWithRecords } from './replay-with-records.js';

// Set by .ci/run, which starts a throwaway PostgreSQL on loopback; read here only to gate the real-server test.
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();

describe.runIf(TEST_DATABASE_URL)('every recorded call replayed with its record in PostgreSQL (TEST_DATABASE_URL)', () => {
  let store: CallRecordStore;

  it.each(FILES)('%s stores a record that matches its header', { timeout: 60_000 }, async (file) => {
    store ??= await createCallRecordStore({ dataDir: '/unused', databaseUrl: await freshSchemaUrl(TEST_DATABASE_URL as string, 'fixture_records') });
    await replayWithRecords(file, {
      recordStore: store,
      check: ({ fixture, record, summary }) => {
        expect(recordMismatches(fixture, record)).toEqual([]);
        expect(record?.bargeIns).toHaveLength(summary?.bargeIns ?? -1);
      },
    });
  });

  it('lists every replayed call', async () => {
    expect((await store.listCalls({ limit: 50 })).length).toBe(FILES.length);
    await store.close();
  });
});
