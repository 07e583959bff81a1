import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMemoryCallRecordStore, type CallRecordStore } from '../../src/records/call-record-store.js';
import { CallRecorder } from '../../src/records/call-recorder.js';
import { MAX_CALLS_PER_TRANSACTION, RecordFlusher } from '../../src/records/record-flusher.js';
import { emptyMediaTransportStats } from '../../src/telephony/media-transport-stats.js';
import { FakeClock } from '../telephony/fakes.js';

async function startCalls(store: CallRecordStore, count: number): Promise<string[]> {
  const callSids = Array.from({ length: count }, (_, i) => `CA${i}`);
  for (const callSid of callSids) {
    await store.startCall({ callSid, streamSid: `MZ-${callSid}`, direction: 'inbound', from: null, to: null, startedAtMs: 1_000, answeredAtMs: 2_000, initialAgent: 'front_desk', transcriptsStored: true });
  }
  return callSids;
}

function recorderFor(callSid: string, store: CallRecordStore, flusher: RecordFlusher): CallRecorder {
  return new CallRecorder({
    callSid,
    store,
    initialAgent: 'front_desk',
    storeTranscripts: true,
    prices: undefined,
    flusher,
    logger: createLogger('silent'),
    stats: () => emptyMediaTransportStats(),
    actions: () => [],
  });
}

/** Lets the write chains run (the batches yield to the event loop between transactions). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

async function digitsOf(store: CallRecordStore, callSid: string): Promise<Array<string | null>> {
  return ((await store.getCall(callSid))?.dtmf ?? []).map((d) => d.digit);
}

describe('RecordFlusher', () => {
  it('writes every live call on one tick, in transactions of at most MAX_CALLS_PER_TRANSACTION calls; a call with nothing new is skipped', async () => {
    const store = await createMemoryCallRecordStore();
    const clock = new FakeClock();
    const flusher = new RecordFlusher({ store, clock, logger: createLogger('silent') });
    const count = 2 * MAX_CALLS_PER_TRANSACTION + 5;
    const callSids = await startCalls(store, count);
    const recorders = callSids.map((callSid) => recorderFor(callSid, store, flusher));
    // One timer for all of them, not one per call.
    expect(clock.pendingTimers).toBe(1);
    const batch = vi.spyOn(store, 'writeEntriesBatch');
    const alone = vi.spyOn(store, 'writeEntries');
    recorders.forEach((recorder, i) => {
      if (i !== 3) recorder.onTimeline({ type: 'dtmf', atMs: 5_000, digit: String(i % 10) });
    });
    clock.advance(1_000);
    await vi.waitFor(() => expect(batch).toHaveBeenCalledTimes(3));
    await vi.waitFor(async () => expect(await digitsOf(store, callSids.at(-1) as string)).toEqual([String((count - 1) % 10)]));
    expect(batch.mock.calls.map(([writes]) => writes.length)).toEqual([MAX_CALLS_PER_TRANSACTION, MAX_CALLS_PER_TRANSACTION, count - 1 - 2 * MAX_CALLS_PER_TRANSACTION]);
    expect(alone).not.toHaveBeenCalled();
    for (const [i, callSid] of callSids.entries()) expect(await digitsOf(store, callSid)).toEqual(i === 3 ? [] : [String(i % 10)]);
    // The running totals went with the entries: the call row is current without waiting for the end.
    expect((await store.getCall('CA0'))?.usage).toMatchObject({ responses: 0 });
    expect((await store.getCall('CA0'))?.endReason).toBeNull();

    // Nothing new: the next tick writes nothing.
    batch.mockClear();
    clock.advance(1_000);
    await settle();
    expect(batch).not.toHaveBeenCalled();
    for (const recorder of recorders) await recorder.finish({ endedAtMs: 9_000, endReason: 'twilio_stop', durationMs: 7_000 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a call that ends leaves the tick: its last entries are written by its own finish, after what the tick took', async () => {
    const store = await createMemoryCallRecordStore();
    const clock = new FakeClock();
    const flusher = new RecordFlusher({ store, clock, logger: createLogger('silent') });
    await startCalls(store, 2);
    const [first, second] = [recorderFor('CA0', store, flusher), recorderFor('CA1', store, flusher)];
    first.onTimeline({ type: 'dtmf', atMs: 1_000, digit: '1' });
    second.onTimeline({ type: 'dtmf', atMs: 1_000, digit: '2' });
    clock.advance(1_000);
    // The batch is in flight; the call ends with one more entry.
    first.onTimeline({ type: 'dtmf', atMs: 1_500, digit: '3' });
    await first.finish({ endedAtMs: 2_000, endReason: 'twilio_stop', durationMs: 1_000 });
    expect(await digitsOf(store, 'CA0')).toEqual(['1', '3']);
    expect((await store.getCall('CA0'))?.endReason).toBe('twilio_stop');
    const batch = vi.spyOn(store, 'writeEntriesBatch');
    second.onTimeline({ type: 'dtmf', atMs: 2_500, digit: '4' });
    clock.advance(1_000);
    await vi.waitFor(async () => expect(await digitsOf(store, 'CA1')).toEqual(['2', '4']));
    expect(batch.mock.calls.map(([writes]) => writes.map((w) => w.callSid))).toEqual([['CA1']]);
    await second.finish({ endedAtMs: 3_000, endReason: 'twilio_stop', durationMs: 2_000 });
  });

  it('a failed batch is written again call by call, so one bad call costs the others nothing', async () => {
    const store = await createMemoryCallRecordStore();
    const clock = new FakeClock();
    const flusher = new RecordFlusher({ store, clock, logger: createLogger('silent') });
    await startCalls(store, 3);
    const recorders = ['CA0', 'CA1', 'CA2'].map((callSid) => recorderFor(callSid, store, flusher));
    const realWrite = store.writeEntries.bind(store);
    // CA1's write fails whichever way it goes; the batch holding it fails as a whole.
    vi.spyOn(store, 'writeEntries').mockImplementation((callSid, entries, totals) => (callSid === 'CA1' ? Promise.reject(new Error('disk I/O error')) : realWrite(callSid, entries, totals)));
    vi.spyOn(store, 'writeEntriesBatch').mockRejectedValueOnce(new Error('disk I/O error'));
    recorders.forEach((recorder, i) => recorder.onTimeline({ type: 'dtmf', atMs: 1_000, digit: String(i) }));
    clock.advance(1_000);
    await vi.waitFor(async () => expect(await digitsOf(store, 'CA2')).toEqual(['2']));
    await settle();
    expect(await digitsOf(store, 'CA0')).toEqual(['0']);
    expect(await digitsOf(store, 'CA1')).toEqual([]);
    expect(await digitsOf(store, 'CA2')).toEqual(['2']);
    for (const recorder of recorders) await expect(recorder.finish({ endedAtMs: 2_000, endReason: 'twilio_stop', durationMs: 1_000 })).resolves.toBeUndefined();
  });
});

describe('CallRecordStore.writeEntriesBatch', () => {
  it('writes all of a batch or none of it', async () => {
    const store = await createMemoryCallRecordStore();
    await startCalls(store, 1);
    const dtmf = (key: string, digit: string) => ({ key, seq: Number(key.slice(1)), kind: 'dtmf' as const, atMs: 1_000, data: { digit } });
    await expect(
      store.writeEntriesBatch([
        { callSid: 'CA0', entries: [dtmf('e1', '1')] },
        // NOT NULL call_sid: the second statement fails, and the first is rolled back with it.
        { callSid: null as unknown as string, entries: [dtmf('e2', '2')] },
      ]),
    ).rejects.toThrow(/NOT NULL/);
    expect(await digitsOf(store, 'CA0')).toEqual([]);
    await store.writeEntriesBatch([{ callSid: 'CA0', entries: [dtmf('e1', '1')] }, { callSid: 'CA0', entries: [dtmf('e2', '2')] }]);
    expect(await digitsOf(store, 'CA0')).toEqual(['1', '2']);
  });
});
