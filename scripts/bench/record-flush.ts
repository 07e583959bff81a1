/**
 * CPU of one second's call-record flush per live call, on the SQLite file the server uses (WAL): `alone` writes
 * each call's entries and totals as the recorder did before the shared tick (`writeEntries`: two autocommit
 * statements), `batch` as `RecordFlusher` does (`writeEntriesBatch`, `MAX_CALLS_PER_TRANSACTION` calls per
 * transaction). Each call gets two entries (a turn and a usage) and its totals per tick, as in the load bench.
 *
 *   npx tsx scripts/bench/record-flush.ts [alone|batch] [calls=50] [ticks=400]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMPTY_USAGE } from '../../src/infrastructure/openai-realtime/realtime-usage.js';
import type { CallTotals, RecordEntry } from '../../src/records/call-record.js';
import { createCallRecordStore, type EntriesWrite } from '../../src/records/call-record-store.js';
import { MAX_CALLS_PER_TRANSACTION } from '../../src/records/record-flusher.js';

const MODE = process.argv[2] ?? 'batch';
const CALLS = Number(process.argv[3] ?? 50);
const TICKS = Number(process.argv[4] ?? 400);
if (MODE !== 'alone' && MODE !== 'batch') throw new Error(`mode must be alone or batch, not ${MODE}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'record-flush-'));
const store = await createCallRecordStore({ dataDir, databaseUrl: undefined });
const callSids = Array.from({ length: CALLS }, (_, i) => `CA${String(i).padStart(32, '0')}`);
for (const callSid of callSids) {
  await store.startCall({ callSid, streamSid: `MZ${callSid.slice(2)}`, direction: 'inbound', from: null, to: null, startedAtMs: 1, answeredAtMs: 2, initialAgent: 'front_desk', transcriptsStored: true });
}
const totals: CallTotals = {
  finalAgent: 'front_desk',
  agents: ['front_desk'],
  responses: 3,
  usage: { ...EMPTY_USAGE, outputAudioTokens: 400 },
  estimatedCostUsd: 0.01,
  stream: { inboundFrames: 500, sentMediaMessages: 30, silenceFilledMs: 0, droppedInboundChunks: 0, malformedMessages: 0, marksEchoed: 3, staleMarkEchoes: 0, markRoundTripMs: { count: 3, mean: 100, max: 120 } },
};
let seq = 0;
const writeOf = (callSid: string): EntriesWrite => {
  const entries: RecordEntry[] = [
    { key: `turn:item_${seq}`, seq: ++seq, kind: 'turn', atMs: 1_000, data: { speaker: 'caller', itemId: `item_${seq}`, startMs: 1_000, endMs: 2_200, text: 'I would like to check my bill please' } },
    { key: `e${++seq}`, seq, kind: 'usage', atMs: 2_900, data: { responseId: `resp_${seq}`, ...EMPTY_USAGE, outputAudioTokens: 120 } },
  ];
  return { callSid, entries, totals };
};

const tick = async (): Promise<void> => {
  const writes = callSids.map(writeOf);
  if (MODE === 'alone') {
    for (const write of writes) await store.writeEntries(write.callSid, write.entries, write.totals);
    return;
  }
  for (let from = 0; from < writes.length; from += MAX_CALLS_PER_TRANSACTION) await store.writeEntriesBatch(writes.slice(from, from + MAX_CALLS_PER_TRANSACTION));
};
for (let i = 0; i < 20; i++) await tick();
const cpu = process.cpuUsage();
for (let i = 0; i < TICKS; i++) await tick();
const used = process.cpuUsage(cpu);
console.log(`${MODE}: ${CALLS} calls, ${TICKS} ticks: ${((used.user + used.system) / TICKS / CALLS).toFixed(1)} CPU µs per call per tick`);
await store.close();
rmSync(dataDir, { recursive: true, force: true });
