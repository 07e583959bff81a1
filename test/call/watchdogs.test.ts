import { describe, expect, it } from 'vitest';
import { CallManager } from '../../src/call/call-manager.js';
import { MediaWatchdog } from '../../src/call/media-watchdog.js';
import { ResponseWatchdog, type ResponseFailure } from '../../src/call/response-watchdog.js';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { loadAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { createKeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { createOrchestratorFactory } from '../../src/domain/orchestrator-factory.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import type { RealtimeClientEvent, RealtimeClientLike, RealtimeClientListener, ResponseRequest, SendResult } from '../../src/infrastructure/realtime-client-events.js';
import { createLogger } from '../../src/logger.js';
import { TwilioMediaTransport } from '../../src/telephony/media-transport.js';
import type { StreamStart } from '../../src/telephony/twilio-messages.js';
import { renderSayAndHangup } from '../../src/telephony/twiml.js';
import { FakeClock, FakeMediaSocket, wire } from '../telephony/fakes.js';

/** A Realtime client whose responses the test drives; records what it is asked. */
class ScriptedClient implements RealtimeClientLike {
  readonly requests: Array<ResponseRequest | undefined> = [];
  cancels = 0;
  inFlight = false;
  /** When set, every response.create is answered at once with a started and a completed response. */
  answer = false;
  #next = 0;
  readonly #listeners = new Set<RealtimeClientListener>();

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.emit({ type: 'closed', reason: 'disconnect' });
  }
  sendRequest(): SendResult {
    return 'sent';
  }
  async opened(): Promise<boolean> {
    return true;
  }
  async updateInstructions(): Promise<void> {}
  createResponse(request?: ResponseRequest): SendResult {
    this.requests.push(request);
    if (!this.answer) return 'sent';
    const id = this.start();
    this.emit({ type: 'response_done', responseId: id, status: 'completed' });
    this.inFlight = false;
    return 'sent';
  }
  addItem(): boolean {
    return false;
  }
  deleteItem(): boolean {
    return true;
  }
  truncate(_itemId: string, audioEndMs: number): number {
    return audioEndMs;
  }
  cancelResponse(): boolean {
    this.cancels += 1;
    return true;
  }
  isResponseInFlight(): boolean {
    return this.inFlight;
  }
  receivedAudioMs(): number {
    return 0;
  }
  on(listener: RealtimeClientListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  start(): string {
    const id = `resp_${++this.#next}`;
    this.inFlight = true;
    this.emit({ type: 'response_started', responseId: id });
    return id;
  }
  emit(event: RealtimeClientEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

function watchdog(client: ScriptedClient, clock: FakeClock) {
  const giveUps: ResponseFailure[] = [];
  const dog = new ResponseWatchdog({ client, clock, logger: createLogger('silent'), timeoutMs: 8_000, onGiveUp: (f) => giveUps.push(f) });
  return { dog, giveUps };
}

describe('ResponseWatchdog', () => {
  it('leaves a response alone while its events keep coming', () => {
    const clock = new FakeClock();
    const client = new ScriptedClient();
    const { dog, giveUps } = watchdog(client, clock);
    dog.client.createResponse({ instructions: 'greet' });
    const id = client.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(7_000);
      client.emit({ type: 'audio', itemId: 'item_1', responseId: id, pcm: new Int16Array(2400) });
    }
    client.emit({ type: 'response_done', responseId: id, status: 'completed' });
    clock.advance(60_000);
    expect(client.requests).toHaveLength(1);
    expect(giveUps).toEqual([]);
  });

  it('retries a response that went silent for the watchdog time once (cancel, same request), then gives up', () => {
    const clock = new FakeClock();
    const client = new ScriptedClient();
    const { dog, giveUps } = watchdog(client, clock);
    dog.client.createResponse({ instructions: 'greet' });
    client.start();
    clock.advance(7_999);
    expect(client.requests).toHaveLength(1);
    clock.advance(1);
    expect(client.cancels).toBe(1);
    expect(client.requests).toEqual([{ instructions: 'greet' }, { instructions: 'greet' }]);
    expect(dog.retries).toBe(1);
    clock.advance(8_000);
    expect(giveUps).toEqual(['response_stalled']);
  });

  it('retries a response that was asked for but never created', () => {
    const clock = new FakeClock();
    const client = new ScriptedClient();
    const { dog, giveUps } = watchdog(client, clock);
    dog.client.createResponse();
    clock.advance(8_000);
    expect(client.requests).toHaveLength(2);
    expect(client.cancels).toBe(0);
    client.start();
    clock.advance(8_000);
    expect(giveUps).toEqual(['response_stalled']);
  });

  it('retries a failed response at once, and a retry that completes ends the watch', () => {
    const clock = new FakeClock();
    const client = new ScriptedClient();
    const { giveUps } = watchdog(client, clock);
    const id = client.start(); // a VAD turn's response, not asked for by us
    client.inFlight = false;
    client.emit({ type: 'response_done', responseId: id, status: 'failed' });
    expect(client.requests).toEqual([undefined]);
    const retry = client.start();
    client.emit({ type: 'response_done', responseId: retry, status: 'completed' });
    clock.advance(60_000);
    expect(giveUps).toEqual([]);
  });

  it('gives up when the retried response fails too', () => {
    const clock = new FakeClock();
    const client = new ScriptedClient();
    const { dog, giveUps } = watchdog(client, clock);
    dog.client.createResponse({ instructions: 'greet' });
    client.emit({ type: 'response_done', responseId: client.start(), status: 'failed' });
    client.emit({ type: 'response_done', responseId: client.start(), status: 'failed' });
    expect(giveUps).toEqual(['response_failed']);
  });
});

describe('MediaWatchdog', () => {
  function setup(maxMinutes = 15, graceMs = 0) {
    const clock = new FakeClock();
    let last = clock.now();
    const expired: string[] = [];
    const dog = new MediaWatchdog({
      lastMessageAt: () => last,
      clock,
      logger: createLogger('silent'),
      silenceTimeoutMs: 5_000,
      maxDurationMs: () => maxMinutes * 60_000,
      graceMs,
      onExpired: (reason) => expired.push(reason),
    });
    dog.start();
    return { clock, expired, heard: () => (last = clock.now()) };
  }

  it('ends a call whose Twilio side sent nothing for the watchdog time', () => {
    const { clock, expired, heard } = setup();
    for (let i = 0; i < 100; i++) {
      clock.advance(20);
      heard();
    }
    clock.advance(4_900);
    expect(expired).toEqual([]);
    clock.advance(600);
    expect(expired).toEqual(['twilio_silent']);
  });

  it('ends a call at its maximum duration (plus the grace when REST control ends it politely first)', () => {
    const plain = setup(1, 0);
    const polite = setup(1, 30_000);
    for (let t = 0; t < 90_000; t += 500) {
      plain.clock.advance(500);
      plain.heard();
      polite.clock.advance(500);
      polite.heard();
      if (t === 59_000) expect(plain.expired).toEqual([]);
    }
    expect(plain.expired).toEqual(['max_duration']);
    expect(polite.expired).toEqual(['max_duration']);
  });
});

describe('CallManager without Twilio REST credentials', () => {
  it('closes the stream at the maximum duration and gives Twilio the closing line', async () => {
    const catalogue = await loadAgentCatalogue();
    const logger = createLogger('silent');
    const clock = new FakeClock();
    const ended: CallSummary[] = [];
    const client = new ScriptedClient();
    client.answer = true;
    const manager = new CallManager({
      config: loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.test', TWILIO_AUTH_TOKEN: 'c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4', OPENAI_API_KEY: 'sk-test' }),
      catalogue,
      createOrchestrator: createOrchestratorFactory({ catalogue, classifier: createKeywordClassifier({ catalogue }), checkpointer: createMemoryCheckpointer(), logger }),
      logger,
      clock,
      createRealtimeClient: () => client,
      onCallEnded: (summary) => ended.push(summary),
    });
    const socket = new FakeMediaSocket();
    const transport = new TwilioMediaTransport({ socket, streamSid: 'MZ1', logger, clock });
    const start = {
      accountSid: 'AC1',
      streamSid: 'MZ1',
      callSid: 'CA_MAX',
      tracks: ['inbound'],
      customParameters: {},
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    } as StreamStart;
    manager.onStreamStarted({ start, transport, logger });
    const maxMs = catalogue.agentsByName.get(catalogue.defaultAgent)?.maxDuration?.minutes ?? 15;
    for (let elapsed = 0; elapsed < maxMs * 60_000 + 2_000 && socket.isOpen(); elapsed += 1_000) {
      clock.advance(1_000);
      socket.receive(wire.media({ streamSid: 'MZ1', sequenceNumber: 2, chunk: 1, timestampMs: elapsed, bytes: new Uint8Array(160).fill(0xff) }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(socket.closedWith?.reason).toBe('max_duration');
    for (let i = 0; i < 10 && ended.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(ended[0]?.reason).toBe('max_duration');
    expect(ended[0]?.durationMs).toBeGreaterThanOrEqual(maxMs * 60_000);
    expect(ended[0]?.durationMs).toBeLessThan(maxMs * 60_000 + 2_000);
    const closing = catalogue.agentsByName.get(catalogue.defaultAgent)?.maxDuration?.closingLine;
    expect(manager.streamEndedTwiml('CA_MAX')).toBe(renderSayAndHangup(closing ?? "We've reached the time limit for this call. Please call us back if you need anything else. Goodbye."));
    await manager.close();
  });
});
