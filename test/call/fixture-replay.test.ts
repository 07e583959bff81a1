import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayMismatches } from '../../scripts/sim-caller/replay-expectations.js';
import { createCallRecordStore } from '../../src/records/call-record-store.js';
import { recordMismatches } from '../records/record-expectations.js';
import { FIXTURES, replayWithRecords } from '../records/replay-with-records.js';

const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();

describe.concurrent('every recorded call replayed through the whole bot (real server, Realtime fake, keyword orchestrator)', () => {
  it.each(FILES)('%s produces what its header expects, and a call record (SQLite file) that matches it', { timeout: 60_000 }, async (file) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'replay-records-'));
    const recordStore = await createCallRecordStore({ dataDir, databaseUrl: undefined });
    try {
      await replayWithRecords(file, {
        recordStore,
        check: ({ fixture, result, summary, record, fake, bot }) => {
          // Clean teardown: the call ended once, the Realtime socket is closed, nothing is left in the manager.
          expect(bot.calls.activeCalls).toBe(0);
          expect(bot.calls.prewarmedSessions).toBe(0);
          expect(
            replayMismatches(fixture.header.expect, {
              result,
              intents: summary?.intents,
              agents: summary?.agentChanges,
              truncations: fake.clientEvents('conversation.item.truncate').length,
            }),
          ).toEqual([]);
          // Every barge-in the server handled was a clear the caller received, and no truncate was ever rejected.
          expect(result.clears).toHaveLength(summary?.bargeIns ?? -1);
          expect(fake.serverEvents('error')).toEqual([]);
          expect(recordMismatches(fixture, record)).toEqual([]);
          expect(record?.bargeIns).toHaveLength(summary?.bargeIns ?? -1);
        },
      });
    } finally {
      await recordStore.close();
    }
  });
});
