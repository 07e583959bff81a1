import { describe, expect, it } from 'vitest';
import { boundContext, cutAtHeard, MAX_CONTEXT_TURNS, parseConversationContext, replayItems } from '../../src/call/conversation-context.js';
import { ConversationRecorder, type ConversationContextStore } from '../../src/call/conversation-recorder.js';
import type { ConversationContext } from '../../src/call/conversation-context.js';
import { createLogger } from '../../src/logger.js';
import { captureLogger } from '../telephony/fakes.js';

describe('conversation context (pure)', () => {
  it('replays turns as GA conversation items: user input_text, assistant output_text, empty turns skipped', () => {
    const items = replayItems({
      agent: 'billing',
      turns: [
        { role: 'user', text: 'My bill is wrong. ' },
        { role: 'assistant', text: '' },
        { role: 'assistant', text: 'I can help with that.' },
      ],
      replyPending: false,
    });
    expect(items).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'My bill is wrong.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'I can help with that.' }] },
    ]);
  });

  it('cuts a transcript at the last whole word the caller heard', () => {
    const text = 'Your balance is forty two dollars and ten cents.';
    expect(cutAtHeard(text, 0, 2_000)).toBe('');
    expect(cutAtHeard(text, 2_000, 2_000)).toBe(text);
    expect(cutAtHeard(text, 3_000, 2_000)).toBe(text);
    // Half the audio: 24 of 48 characters, "Your balance is forty tw|o": the half-heard word is dropped.
    expect(cutAtHeard(text, 1_000, 2_000)).toBe('Your balance is forty');
    expect(cutAtHeard(text, 100, 2_000)).toBe('');
    expect(cutAtHeard('Hello there', 1, 0)).toBe('');
  });

  it('bounds the turns kept and the text of each', () => {
    const turns = Array.from({ length: MAX_CONTEXT_TURNS + 5 }, (_, i) => ({ role: 'user' as const, text: `turn ${i}` }));
    const bounded = boundContext({ agent: 'general', turns, replyPending: false });
    expect(bounded.turns).toHaveLength(MAX_CONTEXT_TURNS);
    expect(bounded.turns[0]?.text).toBe('turn 5');
    expect(boundContext({ agent: 'general', turns: [{ role: 'user', text: 'x'.repeat(5_000) }], replyPending: false }).turns[0]?.text).toHaveLength(2_000);
  });

  it('parses only what it wrote', () => {
    const context: ConversationContext = { agent: 'general', turns: [{ role: 'assistant', text: 'Hi.' }], replyPending: false };
    expect(parseConversationContext(JSON.stringify(context))).toEqual(context);
    expect(parseConversationContext('not json')).toBeUndefined();
    expect(parseConversationContext('{"agent":"a","turns":[{"role":"system","text":"x"}],"replyPending":false}')).toBeUndefined();
    expect(parseConversationContext('{"agent":"a","turns":[],"replyPending":"yes"}')).toBeUndefined();
  });
});

/** A store that keeps every write, optionally failing them. */
class RecordingStore implements ConversationContextStore {
  readonly saved: ConversationContext[] = [];
  fail = false;
  async saveContext(_callSid: string, context: ConversationContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.fail) throw new Error('database is down');
    this.saved.push(context);
  }
  async loadContext(): Promise<ConversationContext | undefined> {
    return this.saved.at(-1);
  }
  async deleteContext(): Promise<void> {}
}

function recorder(store?: ConversationContextStore, audio: { received?: Record<string, number>; delivered?: Record<string, number> } = {}) {
  return new ConversationRecorder({
    callSid: 'CA1',
    agent: 'general',
    logger: createLogger('silent'),
    receivedMs: (id) => audio.received?.[id] ?? 0,
    deliveredMs: (id) => audio.delivered?.[id] ?? 0,
    store,
  });
}

describe('ConversationRecorder', () => {
  it('orders a spoken turn at its commit although its transcript arrives after the reply started, and saves each completed turn', async () => {
    const store = new RecordingStore();
    const r = recorder(store);
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a0', text: 'Hello, how can I help?', final: true });
    r.onServiceEvent({ type: 'speech_stopped', itemId: 'u1', audioEndMs: 4_000 });
    r.onServiceEvent({ type: 'response_started', responseId: 'r1' });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a1', text: 'Sure,', final: false });
    expect(r.snapshot().replyPending).toBe(false);
    r.onServiceEvent({ type: 'transcript', role: 'user', itemId: 'u1', text: 'I want to check my bill.', final: true });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a1', text: 'Sure, let me check.', final: true });
    r.onServiceEvent({ type: 'response_done', responseId: 'r1', status: 'completed' });
    r.onServiceEvent({ type: 'instructions_updated', agent: 'billing' });
    r.userText('The caller pressed 1');
    expect(r.snapshot()).toEqual({
      agent: 'billing',
      turns: [
        { role: 'assistant', text: 'Hello, how can I help?' },
        { role: 'user', text: 'I want to check my bill.' },
        { role: 'assistant', text: 'Sure, let me check.' },
        { role: 'user', text: 'The caller pressed 1' },
      ],
      replyPending: true,
    });
    await r.flushed();
    // One write per completed turn, in order, the last one the whole context.
    expect(store.saved).toHaveLength(4);
    expect(store.saved.at(-1)).toEqual(r.snapshot());
  });

  it('cuts a barged-in reply at the truncation point and forgets deleted items', () => {
    const r = recorder(undefined, { received: { a1: 2_000 } });
    r.onServiceEvent({ type: 'response_started', responseId: 'r1' });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a1', text: 'Your balance is forty two dollars and ten cents.', final: false });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a2', text: 'Never heard.', final: false });
    r.onServiceEvent({ type: 'barge_in', at: 0, cancelledResponseId: 'r1', truncations: [{ itemId: 'a1', audioEndMs: 1_000 }], deletedItemIds: ['a2'] });
    // A late transcript of the cut item changes nothing.
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a1', text: 'Your balance is forty two dollars and ten cents.', final: true });
    r.onServiceEvent({ type: 'response_done', responseId: 'r1', status: 'cancelled' });
    expect(r.snapshot().turns).toEqual([{ role: 'assistant', text: 'Your balance is forty' }]);
  });

  it('on a session drop, cuts the reply in flight at what reached the carrier and asks for a new reply; an idle drop asks for none', () => {
    const r = recorder(undefined, { received: { a1: 3_000 }, delivered: { a1: 1_500 } });
    r.onServiceEvent({ type: 'speech_stopped', itemId: 'u1', audioEndMs: 1_000 });
    r.onServiceEvent({ type: 'transcript', role: 'user', itemId: 'u1', text: 'What is my balance?', final: true });
    r.onServiceEvent({ type: 'response_started', responseId: 'r1' });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a1', text: 'Your balance is forty two dollars and ten cents.', final: false });
    r.sessionDropped();
    expect(r.snapshot()).toEqual({
      agent: 'general',
      turns: [
        { role: 'user', text: 'What is my balance?' },
        { role: 'assistant', text: 'Your balance is forty' },
      ],
      replyPending: true,
    });
    // The new session's reply clears it.
    r.onServiceEvent({ type: 'response_started', responseId: 'r2' });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a9', text: 'Forty two dollars ten.', final: true });
    r.onServiceEvent({ type: 'response_done', responseId: 'r2', status: 'completed' });
    expect(r.snapshot().replyPending).toBe(false);
    r.sessionDropped();
    expect(r.snapshot().replyPending).toBe(false);
  });

  it('hands over once: the last write has the cut reply, later turns here are not written over the new owner', async () => {
    const store = new RecordingStore();
    const r = recorder(store, { received: { a1: 2_000 }, delivered: { a1: 1_000 } });
    r.onServiceEvent({ type: 'response_started', responseId: 'r1' });
    r.onServiceEvent({ type: 'transcript', role: 'assistant', itemId: 'a1', text: 'Your balance is forty two dollars and ten cents.', final: false });
    await r.handOver();
    expect(store.saved.at(-1)).toEqual({ agent: 'general', turns: [{ role: 'assistant', text: 'Your balance is forty' }], replyPending: true });
    const writes = store.saved.length;
    r.userText('The caller pressed 5');
    await r.flushed();
    expect(store.saved).toHaveLength(writes);
  });

  it('logs a failed write and goes on', async () => {
    const store = new RecordingStore();
    store.fail = true;
    const { logger, lines } = captureLogger('warn');
    const r = new ConversationRecorder({ callSid: 'CA1', agent: 'general', logger, receivedMs: () => 0, deliveredMs: () => 0, store });
    r.userText('The caller pressed 2');
    await r.flushed();
    expect(lines.map((l) => l.msg)).toEqual(['conversation context not saved']);
    store.fail = false;
    r.userText('The caller pressed 3');
    await r.flushed();
    expect(store.saved.at(-1)?.turns).toHaveLength(2);
  });
});
