import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayMismatches } from '../../scripts/sim-caller/replay-expectations.js';
import type { MarkRecord } from '../../scripts/sim-caller/caller-playback.js';
import { digitsOfKeypadMessage } from '../../src/actions/keypad.js';
import { REALTIME_AUDIO_FORMATS } from '../../src/audio/audio-format.js';
import { createCallRecordStore } from '../../src/records/call-record-store.js';
import { appendedMs } from '../fakes/appended-audio.js';
import type { RealtimeFakeServer, WireEvent } from '../../fakes/realtime-server.js';
import { recordMismatches } from '../records/record-expectations.js';
import { FIXTURES, replayWithRecords } from '../records/replay-with-records.js';

const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();

/** The digits that reached the model: its user text messages that are keypad notices, in order. */
function digitsAtModel(fake: RealtimeFakeServer): string {
  return fake
    .clientEvents('conversation.item.create')
    .flatMap((e: WireEvent) => (e.item as { role?: string; content?: Array<{ type?: string; text?: string }> }).content ?? [])
    .map((part) => (part.type === 'input_text' ? (digitsOfKeypadMessage(part.text ?? '') ?? '') : ''))
    .join('');
}

/** Milliseconds the caller heard of replies the server replaced in the same turn (echoed marks, not flushed). */
function heardOfReplacedReplies(fake: RealtimeFakeServer, marks: readonly MarkRecord[]): number {
  const deleted = new Set(fake.clientEvents('conversation.item.delete').map((e) => String(e.item_id)));
  return Math.max(
    0,
    ...marks.filter((m) => deleted.has(m.name.split(':')[1] ?? '') && m.echoedAtMs !== undefined && !m.flushed).map((m) => Number(m.name.split(':')[2])),
  );
}

// One call at a time (both formats in turn): the replays keep the real model's timing (first audio ~1 s after the
// turn), and nine calls sharing a 2-core CI machine with the rest of the suite stretch that timing until replies
// overlap the caller's next words, which the server then rightly handles as barge-ins the fixture does not expect.
describe.each(REALTIME_AUDIO_FORMATS)('every recorded call replayed through the whole bot (real server, Realtime fake, keyword orchestrator), REALTIME_AUDIO_FORMAT=%s', (format) => {
  it.each(FILES)('%s produces what its header expects, and a call record (SQLite file) that matches it', { timeout: 60_000 }, async (file) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'replay-records-'));
    const recordStore = await createCallRecordStore({ dataDir, databaseUrl: undefined });
    try {
      await replayWithRecords(file, {
        recordStore,
        env: { REALTIME_AUDIO_FORMAT: format },
        check: ({ fixture, result, summary, record, fake, bot }) => {
          // Clean teardown: the call ended once, the Realtime socket is closed, nothing is left in the manager.
          expect(bot.calls.activeCalls).toBe(0);
          expect(bot.calls.prewarmedSessions).toBe(0);
          expect(
            replayMismatches(fixture.header.expect, {
              result,
              intents: summary?.intents,
              agents: summary?.agentChanges,
              dtmfDigits: digitsAtModel(fake),
              bargeIns: summary?.bargeIns,
              truncations: fake.clientEvents('conversation.item.truncate').length,
              reroutes: summary?.reroutes,
              reroutedHeardMs: heardOfReplacedReplies(fake, result.marks),
              inbound: fixture.lines,
              appendedMs: appendedMs(format, fake.clientEvents('input_audio_buffer.append')),
            }),
          ).toEqual([]);
          // Every clear the caller received was a barge-in or a re-route the server handled, and no event was rejected.
          expect(result.clears).toHaveLength(summary?.clears ?? -1);
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
