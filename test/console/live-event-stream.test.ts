import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveCallBoard } from '../../src/console/live-board.js';
import { LiveEventStream, MAX_UNSENT_BYTES, type EventSink, type StreamMessage } from '../../src/console/live-event-stream.js';
import type { ObservedCall } from '../../src/call/call-observer.js';

function observed(callSid: string): ObservedCall {
  return {
    callSid,
    streamSid: `MZ${callSid}`,
    start: { accountSid: 'AC1', streamSid: `MZ${callSid}`, callSid, tracks: ['inbound'], customParameters: { from: '+15551230123', to: '+15550000002' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
    agent: 'front_desk',
  } as unknown as ObservedCall;
}

class RecordingSink implements EventSink {
  readonly messages: StreamMessage[] = [];
  writableLength = 0;
  write(chunk: string): boolean {
    expect(chunk.startsWith('data: ') && chunk.endsWith('\n\n')).toBe(true);
    this.messages.push(JSON.parse(chunk.slice(6)) as StreamMessage);
    return true;
  }
}

const streams: LiveEventStream[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
  vi.useRealTimers();
});

describe('LiveEventStream', () => {
  it('sends a snapshot first, then the updates of each period in one batch, with numbers masked', () => {
    vi.useFakeTimers();
    const board = new LiveCallBoard({ phoneNumbers: 'masked' });
    board.streamStarted(observed('CA1'));
    const sink = new RecordingSink();
    streams.push(new LiveEventStream({ board, sink, batchMs: 250 }));
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]).toMatchObject({ type: 'snapshot', calls: [{ callSid: 'CA1', from: '+1******0123', agent: 'front_desk' }] });
    board.streamStarted(observed('CA2'));
    board.timeline('CA2', { type: 'agent_switch', atMs: 900, from: 'front_desk', to: 'billing', intent: 'bill_explanation', confidence: 0.8 });
    board.timeline('CA2', { type: 'mark_echo', roundTripMs: 100, stale: false });
    vi.advanceTimersByTime(249);
    expect(sink.messages).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sink.messages).toHaveLength(2);
    const batch = sink.messages[1];
    expect(batch?.type).toBe('updates');
    // The mark echo is not forwarded; the call started as it was before the switch.
    expect(batch?.type === 'updates' && batch.updates.map((u) => u.type)).toEqual(['call_started', 'call_event']);
    expect(batch?.type === 'updates' && batch.updates[0]?.type === 'call_started' && batch.updates[0].call.agent).toBe('front_desk');
    expect(board.get('CA2')?.agent).toBe('billing');
  });

  it('drops its queue and resyncs with a snapshot when a slow browser lets it fill, holding at most maxQueued updates', () => {
    vi.useFakeTimers();
    const board = new LiveCallBoard({ phoneNumbers: 'masked' });
    board.streamStarted(observed('CA1'));
    const sink = new RecordingSink();
    const stream = new LiveEventStream({ board, sink, batchMs: 250, maxQueued: 10 });
    streams.push(stream);
    for (let i = 0; i < 10; i += 1) board.timeline('CA1', { type: 'dtmf', atMs: i, digit: '1' });
    expect(stream.queued).toBe(10);
    board.timeline('CA1', { type: 'dtmf', atMs: 11, digit: '2' });
    expect(stream.queued).toBe(0);
    expect(stream.resyncs).toBe(1);
    board.timeline('CA1', { type: 'dtmf', atMs: 12, digit: '3' });
    expect(stream.queued).toBe(0);
    vi.advanceTimersByTime(250);
    const last = sink.messages.at(-1);
    expect(last?.type).toBe('snapshot');
    expect(last?.type === 'snapshot' && last.calls[0]?.dtmf).toHaveLength(12);
  });

  it('treats a socket that stops draining as slow: nothing more is written until it drains, then a snapshot', () => {
    vi.useFakeTimers();
    const board = new LiveCallBoard({ phoneNumbers: 'masked' });
    const sink = new RecordingSink();
    const stream = new LiveEventStream({ board, sink, batchMs: 250 });
    streams.push(stream);
    sink.writableLength = MAX_UNSENT_BYTES + 1;
    board.streamStarted(observed('CA1'));
    vi.advanceTimersByTime(1_000);
    expect(sink.messages).toHaveLength(1);
    expect(stream.queued).toBe(0);
    sink.writableLength = 0;
    vi.advanceTimersByTime(250);
    expect(sink.messages.at(-1)).toMatchObject({ type: 'snapshot', calls: [{ callSid: 'CA1' }] });
  });
});
