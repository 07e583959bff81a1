import { describe, expect, it } from 'vitest';
import { EMPTY_USAGE } from '../../src/infrastructure/openai-realtime/realtime-usage.js';
import { createLogger } from '../../src/logger.js';
import { createMemoryCallRecordStore, type CallRecordStore } from '../../src/records/call-record-store.js';
import { CallRecorder } from '../../src/records/call-recorder.js';
import { RecordFlusher } from '../../src/records/record-flusher.js';
import type { MediaTransportStats } from '../../src/telephony/media-transport.js';
import { emptyMediaTransportStats } from '../../src/telephony/media-transport-stats.js';
import type { ActionRecord } from '../../src/actions/action-log.js';
import { FakeClock } from '../telephony/fakes.js';

const STATS: MediaTransportStats = { ...emptyMediaTransportStats(), inboundFrames: 500, silenceFilledMs: 40, sentMediaMessages: 30 };

async function setup(storeTranscripts: boolean) {
  const store = await createMemoryCallRecordStore();
  const clock = new FakeClock();
  const actions: ActionRecord[] = [];
  await store.startCall({
    callSid: 'CA1',
    streamSid: 'MZ1',
    direction: 'inbound',
    from: null,
    to: null,
    startedAtMs: 1_000,
    answeredAtMs: 2_000,
    initialAgent: 'front_desk',
    transcriptsStored: storeTranscripts,
  });
  const flusher = new RecordFlusher({ store, clock, logger: createLogger('silent') });
  const recorder = new CallRecorder({
    callSid: 'CA1',
    store,
    initialAgent: 'front_desk',
    storeTranscripts,
    prices: { textInput: 4, cachedTextInput: 0.4, audioInput: 32, cachedAudioInput: 0.4, textOutput: 16, audioOutput: 64 },
    flusher,
    logger: createLogger('silent'),
    stats: () => STATS,
    actions: () => [...actions],
  });
  return { store, clock, recorder, actions, flusher };
}

/** Lets the recorder's write chain run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function turnsOf(store: CallRecordStore) {
  return (await store.getCall('CA1'))?.turns ?? [];
}

describe('CallRecorder', () => {
  it('writes what happened within a second, without waiting for the end of the call', async () => {
    const { store, clock, recorder } = await setup(true);
    recorder.onTimeline({ type: 'caller_turn', turn: { speaker: 'caller', itemId: 'u1', startMs: 3000, endMs: 4200, text: 'my internet is down' } });
    recorder.onTimeline({ type: 'dtmf', atMs: 5000, digit: '7' });
    await settle();
    expect(await turnsOf(store)).toEqual([]);
    clock.advance(1_000);
    await settle();
    expect(await turnsOf(store)).toEqual([{ speaker: 'caller', itemId: 'u1', startMs: 3000, endMs: 4200, text: 'my internet is down' }]);
    expect((await store.getCall('CA1'))?.dtmf).toEqual([{ atMs: 5000, digit: '7' }]);
    expect((await store.getCall('CA1'))?.endReason).toBeNull();
    await recorder.finish({ endedAtMs: 9_000, endReason: 'twilio_stop', durationMs: 7_000 });
  });

  it('keeps one entry per turn, updated as it completes, and totals usage with its estimated cost', async () => {
    const { store, recorder } = await setup(true);
    const bot = { speaker: 'bot' as const, itemId: 'b1', agent: 'front_desk', interrupted: false, heardMs: 0 };
    recorder.onTimeline({ type: 'bot_turn', turn: { ...bot, text: 'Hello' } });
    await recorder.flush();
    recorder.onTimeline({ type: 'bot_turn', turn: { ...bot, text: 'Hello', startMs: 100, endMs: 900, heardMs: 800, interrupted: true } });
    recorder.onTimeline({ type: 'usage', atMs: 900, responseId: 'r1', usage: { ...EMPTY_USAGE, outputAudioTokens: 1_000, inputTextTokens: 500 } });
    recorder.onTimeline({ type: 'mark_echo', roundTripMs: 120, stale: false });
    recorder.onTimeline({ type: 'mark_echo', roundTripMs: 200, stale: true });
    await recorder.finish({ endedAtMs: 9_000, endReason: 'twilio_stop', durationMs: 7_000, outcome: 'hung_up' });
    const record = await store.getCall('CA1');
    expect(record?.turns).toEqual([{ ...bot, text: 'Hello', startMs: 100, endMs: 900, heardMs: 800, interrupted: true }]);
    // 1000 × $64 + 500 × $4 per million tokens.
    expect(record?.usage).toEqual({ responses: 1, tokens: { ...EMPTY_USAGE, outputAudioTokens: 1_000, inputTextTokens: 500 }, estimatedCostUsd: 0.066 });
    expect(record?.stream).toMatchObject({ inboundFrames: 500, silenceFilledMs: 40, marksEchoed: 2, staleMarkEchoes: 1, markRoundTripMs: { count: 2, mean: 160, max: 200 } });
    expect(record?.outcome).toBe('hung_up');
    expect(record?.durationMs).toBe(7_000);
  });

  it('with STORE_TRANSCRIPTS=false stores turns, digits and actions without the words', async () => {
    const { store, recorder, actions } = await setup(false);
    recorder.onTimeline({ type: 'caller_turn', turn: { speaker: 'caller', itemId: 'u1', startMs: 3000, endMs: 4200, text: 'my card is 4111' } });
    recorder.onTimeline({ type: 'bot_turn', turn: { speaker: 'bot', itemId: 'b1', agent: 'billing', interrupted: false, heardMs: 500, text: 'Thanks' } });
    recorder.onTimeline({ type: 'dtmf', atMs: 6000, digit: undefined });
    actions.push({ action: 'hang_up', outcome: 'ok', atMs: 7000, reason: 'caller said goodbye, account 4111', details: { code: 'x' } });
    await recorder.finish({ endedAtMs: 9_000, endReason: 'twilio_stop', durationMs: 7_000 });
    const record = await store.getCall('CA1');
    expect(record?.transcriptsStored).toBe(false);
    expect(record?.turns.map((t) => t.text)).toEqual([null, null]);
    expect(record?.turns.map((t) => t.speaker)).toEqual(['caller', 'bot']);
    expect(record?.dtmf).toEqual([{ atMs: 6000, digit: null }]);
    expect(record?.actions).toEqual([{ action: 'hang_up', outcome: 'ok', atMs: 7000, details: { code: 'x' } }]);
    expect(JSON.stringify(record)).not.toContain('4111');
  });

  it('logs a failing store and never throws into the call', async () => {
    const { store, recorder } = await setup(true);
    await store.close();
    recorder.onTimeline({ type: 'dtmf', atMs: 1, digit: '1' });
    await expect(recorder.finish({ endedAtMs: 2, endReason: 'twilio_stop', durationMs: 1 })).resolves.toBeUndefined();
  });
});
