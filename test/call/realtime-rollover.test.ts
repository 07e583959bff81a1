/**
 * The proactive rollover before the provider's session limit, on a hand-driven clock (the limit is an hour): never
 * before `limit - margin`, never while a reply is in flight or audible or the caller speaks, and make before break.
 */
import { describe, expect, it } from 'vitest';
import type { ConversationContext, ReplayItem } from '../../src/call/conversation-context.js';
import { ReconnectingRealtimeClient, type SessionChange } from '../../src/call/realtime-reconnect.js';
import { Listeners } from '../../src/listeners.js';
import { createLogger } from '../../src/logger.js';
import type { RealtimeClientEvent, RealtimeClientLike, RealtimeClientListener, SendResult } from '../../src/infrastructure/realtime-client-events.js';
import { FakeClock } from '../telephony/fakes.js';

/** A session driven by the test: it opens when told and records what it was sent. */
class ScriptedSession implements RealtimeClientLike {
  readonly listeners = new Listeners<RealtimeClientEvent>(() => undefined);
  readonly items: ReplayItem[] = [];
  readonly sent: string[] = [];
  responses = 0;
  disconnected = false;
  inFlight = false;
  #open!: () => void;
  readonly #opened = new Promise<void>((resolve) => (this.#open = resolve));
  open(): void {
    this.#open();
  }
  connect(): Promise<void> {
    return this.#opened;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
    this.emit({ type: 'closed', reason: 'disconnect' });
  }
  sendRequest(input: Int16Array | string): SendResult {
    this.sent.push(typeof input === 'string' ? input : `audio:${input.length}`);
    return 'sent';
  }
  async opened(): Promise<boolean> {
    await this.#opened;
    return true;
  }
  async updateInstructions(): Promise<void> {}
  createResponse(): SendResult {
    this.responses += 1;
    return 'sent';
  }
  addItem(item: ReplayItem): boolean {
    this.items.push(item);
    return true;
  }
  deleteItem(): boolean {
    return true;
  }
  truncate(): number | undefined {
    return undefined;
  }
  cancelResponse(): boolean {
    return false;
  }
  isResponseInFlight(): boolean {
    return this.inFlight;
  }
  receivedAudioMs(): number {
    return 0;
  }
  on(listener: RealtimeClientListener): () => void {
    return this.listeners.add(listener);
  }
  emit(event: RealtimeClientEvent): void {
    if (event.type === 'response_started') this.inFlight = true;
    if (event.type === 'response_done') this.inFlight = false;
    this.listeners.emit(event);
  }
}

const CONTEXT: ConversationContext = {
  agent: 'general',
  turns: [
    { role: 'assistant', text: 'Hello.' },
    { role: 'user', text: 'Hi.' },
    { role: 'assistant', text: 'How can I help?' },
  ],
  replyPending: false,
};

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('proactive Realtime rollover', () => {
  it('waits for limit − margin and for a quiet moment (no reply in flight or audible, caller silent ≥ 1 s), then swaps make-before-break', async () => {
    const clock = new FakeClock(0);
    const first = new ScriptedSession();
    const created: ScriptedSession[] = [];
    const changes: SessionChange[] = [];
    let audible = false;
    const client = new ReconnectingRealtimeClient({
      first,
      create: () => {
        const next = new ScriptedSession();
        created.push(next);
        return next;
      },
      instructions: 'Be helpful.',
      context: () => CONTEXT,
      samplesPerMs: 8,
      maxReconnects: 2,
      limitMs: 3_600_000,
      rolloverMarginMs: 300_000,
      isAudible: () => audible,
      clock,
      logger: createLogger('silent'),
      onSessionChanged: (change) => changes.push(change),
    });
    const forwarded: string[] = [];
    client.on((event) => forwarded.push(event.type));
    first.open();
    await flush();

    clock.advance(3_300_000 - 1);
    expect(created).toHaveLength(0);
    // A reply is in flight when the window opens: nothing happens until it is done.
    first.emit({ type: 'response_started', responseId: 'r1' });
    clock.advance(10_000);
    expect(created).toHaveLength(0);
    first.emit({ type: 'response_done', responseId: 'r1', status: 'completed' });
    // Its audio still plays at the caller.
    audible = true;
    clock.advance(5_000);
    expect(created).toHaveLength(0);
    audible = false;
    // The caller talks: the swap waits until a second after they stopped.
    first.emit({ type: 'speech_started', audioStartMs: 0 });
    clock.advance(3_000);
    first.emit({ type: 'speech_stopped', audioEndMs: 3_000 });
    clock.advance(750);
    expect(created).toHaveLength(0);
    clock.advance(500);
    expect(created).toHaveLength(1);

    // While the new session opens, a reply starts on the old one: no swap, the new session is closed, and later retried.
    first.emit({ type: 'response_started', responseId: 'r2' });
    created[0]?.open();
    await flush();
    expect(created[0]?.disconnected).toBe(true);
    expect(first.disconnected).toBe(false);
    first.emit({ type: 'response_done', responseId: 'r2', status: 'completed' });
    clock.advance(1_000);
    expect(created).toHaveLength(2);
    // Caller audio still goes to the old session until the swap.
    client.sendRequest(new Int16Array(160));
    expect(first.sent).toEqual(['audio:160']);
    created[1]?.open();
    await flush();

    const next = created[1] as ScriptedSession;
    expect(next.items.map((item) => `${item.role}:${item.content[0].text}`)).toEqual(['assistant:Hello.', 'user:Hi.', 'assistant:How can I help?']);
    expect(next.responses).toBe(0);
    expect(first.disconnected).toBe(true);
    expect(client.rollovers).toBe(1);
    expect(client.reconnects).toBe(0);
    expect(changes).toMatchObject([{ kind: 'rollover', replayed: 3, responded: false }]);
    // The old session's close is not the call's; the new session's events are forwarded.
    expect(forwarded).not.toContain('closed');
    client.sendRequest(new Int16Array(160));
    expect(next.sent).toEqual(['audio:160']);
    next.emit({ type: 'response_started', responseId: 'r3' });
    expect(forwarded.at(-1)).toBe('response_started');
    // The next rollover is due a whole session later.
    next.emit({ type: 'response_done', responseId: 'r3', status: 'completed' });
    clock.advance(3_300_000 - 5_000);
    expect(created).toHaveLength(2);
    clock.advance(10_000);
    expect(created).toHaveLength(3);
  });
});
