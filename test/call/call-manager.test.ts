import { describe, expect, it } from 'vitest';
import { CallManager } from '../../src/call/call-manager.js';
import { loadConfig } from '../../src/config.js';
import { loadAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { createKeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { createOrchestratorFactory } from '../../src/domain/orchestrator-factory.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import type { RealtimeClientOptions } from '../../src/infrastructure/openai-realtime/realtime-client.js';
import type { RealtimeClientLike, RealtimeClientListener, SendResult } from '../../src/infrastructure/realtime-client-events.js';
import { createLogger } from '../../src/logger.js';
import { TwilioMediaTransport } from '../../src/telephony/media-transport.js';
import type { StreamStart } from '../../src/telephony/twilio-messages.js';
import { FakeClock, FakeMediaSocket } from '../telephony/fakes.js';
import { createTwilioCallControl, type TwilioCallControl } from '../../src/actions/twilio-call-control.js';
import { AGENT_TOOL_PURPOSES, AGENT_TOOL_UNAVAILABLE } from '../../src/domain/agent-tools.js';
import { FakeTwilioRest } from '../actions/fakes.js';

/** A Realtime connection that records what the call manager asks of it. */
class RecordingClient implements RealtimeClientLike {
  readonly options: RealtimeClientOptions;
  readonly instructionUpdates: string[] = [];
  connects = 0;
  disconnects = 0;
  readonly #listeners = new Set<RealtimeClientListener>();

  constructor(options: RealtimeClientOptions) {
    this.options = options;
  }

  async connect(): Promise<void> {
    this.connects += 1;
  }

  async disconnect(): Promise<void> {
    this.disconnects += 1;
    for (const listener of this.#listeners) listener({ type: 'closed', reason: 'disconnect' });
  }

  sendRequest(): SendResult {
    return 'sent';
  }

  async opened(): Promise<boolean> {
    return true;
  }

  addItem(): boolean {
    return false;
  }
  deleteItem(): boolean {
    return true;
  }

  async updateInstructions(instructions: string): Promise<void> {
    this.instructionUpdates.push(instructions);
  }

  createResponse(): SendResult {
    return 'sent';
  }

  truncate(_itemId: string, audioEndMs: number): number {
    return audioEndMs;
  }

  cancelResponse(): boolean {
    return false;
  }

  isResponseInFlight(): boolean {
    return false;
  }

  receivedAudioMs(): number {
    return 0;
  }

  on(listener: RealtimeClientListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

async function setup(options: { callControl?: TwilioCallControl } = {}) {
  const catalogue = await loadAgentCatalogue();
  const logger = createLogger('silent');
  const clock = new FakeClock();
  const clients: RecordingClient[] = [];
  const manager = new CallManager({
    config: loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.test', TWILIO_AUTH_TOKEN: 'f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5', OPENAI_API_KEY: 'sk-test' }),
    catalogue,
    createOrchestrator: createOrchestratorFactory({ catalogue, classifier: createKeywordClassifier({ catalogue }), checkpointer: createMemoryCheckpointer(), logger }),
    logger,
    clock,
    prewarmTtlMs: 15_000,
    ...(options.callControl ? { callControl: options.callControl } : {}),
    createRealtimeClient: (options) => {
      const client = new RecordingClient(options);
      clients.push(client);
      return client;
    },
  });
  return { manager, clients, clock, logger };
}

function start(callSid: string, customParameters: Record<string, string>): StreamStart {
  return {
    accountSid: 'AC1',
    streamSid: `MZ${callSid}`,
    callSid,
    tracks: ['inbound'],
    customParameters,
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  } as StreamStart;
}

describe('CallManager', () => {
  it('opens the Realtime session while the phone rings and hands it to the stream on start', async () => {
    const { manager, clients, clock, logger } = await setup();
    manager.onCallAnswered({ callSid: 'CA1', accountSid: 'AC1', from: '+15550000001', to: '+15550000002', direction: 'inbound' });
    expect(clients).toHaveLength(1);
    expect(clients[0]?.connects).toBe(1);
    expect(manager.prewarmedSessions).toBe(1);
    const transport = new TwilioMediaTransport({ socket: new FakeMediaSocket(), streamSid: 'MZCA1', logger, clock });
    manager.onStreamStarted({ start: start('CA1', {}), transport, logger });
    expect(clients).toHaveLength(1);
    expect(manager.prewarmedSessions).toBe(0);
    expect(manager.activeCalls).toBe(1);
    await manager.close();
    expect(clients[0]?.disconnects).toBe(1);
    expect(manager.activeCalls).toBe(0);
  });

  it('closes a pre-warmed session when no stream comes within the TTL', async () => {
    const { manager, clients, clock } = await setup();
    manager.onCallAnswered({ callSid: 'CA2', accountSid: 'AC1', from: '+15550000001', to: '+15550000002', direction: 'inbound' });
    clock.advance(14_999);
    expect(clients[0]?.disconnects).toBe(0);
    clock.advance(1);
    expect(clients[0]?.disconnects).toBe(1);
    expect(manager.prewarmedSessions).toBe(0);
    await manager.close();
  });

  it('starts an outbound call on the requested agent with its ctx.* context in the instructions', async () => {
    const { manager, clients, clock, logger } = await setup();
    const transport = new TwilioMediaTransport({ socket: new FakeMediaSocket(), streamSid: 'MZCA3', logger, clock });
    manager.onStreamStarted({ start: start('CA3', { agent: 'billing', 'ctx.orderId': 'A-1042', token: 'x' }), transport, logger });
    const instructions = clients[0]?.options.instructions ?? '';
    expect(clients[0]?.options.name).toBe('billing');
    expect(instructions).toContain('orderId');
    expect(instructions).toContain('A-1042');
    expect(instructions).not.toContain('token');
    await manager.close();
  });

  it('gives a pre-warmed session the context instructions once it is open', async () => {
    const { manager, clients, clock, logger } = await setup();
    manager.onCallAnswered({ callSid: 'CA4', accountSid: 'AC1', from: '+15550000001', to: '+15550000002', direction: 'inbound' });
    const transport = new TwilioMediaTransport({ socket: new FakeMediaSocket(), streamSid: 'MZCA4', logger, clock });
    manager.onStreamStarted({ start: start('CA4', { 'ctx.purpose': 'appointment reminder' }), transport, logger });
    await new Promise((resolve) => setImmediate(resolve));
    expect(clients[0]?.instructionUpdates).toHaveLength(1);
    expect(clients[0]?.instructionUpdates[0]).toContain('appointment reminder');
    await manager.close();
  });

  it('without Twilio REST control registers no tools and never tells the model it can transfer or hang up', async () => {
    const { manager, clients, clock, logger } = await setup();
    manager.onCallAnswered({ callSid: 'CA5', accountSid: 'AC1', from: '+15550000001', to: '+15550000002', direction: 'inbound' });
    const transport = new TwilioMediaTransport({ socket: new FakeMediaSocket(), streamSid: 'MZCA6', logger, clock });
    manager.onStreamStarted({ start: start('CA6', { agent: 'billing' }), transport, logger });
    expect(clients).toHaveLength(2);
    for (const client of clients) {
      expect(client.options.tools).toBeUndefined();
      for (const purpose of Object.values(AGENT_TOOL_PURPOSES)) expect(client.options.instructions).not.toContain(purpose);
      expect(client.options.instructions).toContain(AGENT_TOOL_UNAVAILABLE.transfer_to_human);
    }
    await manager.close();
  });

  it('with Twilio REST control registers the tools and describes them', async () => {
    const { manager, clients } = await setup({ callControl: createTwilioCallControl({ client: new FakeTwilioRest(), logger: createLogger('silent') }) });
    manager.onCallAnswered({ callSid: 'CA7', accountSid: 'AC1', from: '+15550000001', to: '+15550000002', direction: 'inbound' });
    expect(clients[0]?.options.tools?.map((tool) => tool.name).sort()).toEqual(['collect_digits', 'hang_up', 'transfer_to_human']);
    expect(clients[0]?.options.instructions).toContain(AGENT_TOOL_PURPOSES.transfer_to_human);
    expect(clients[0]?.options.instructions).not.toContain('# Not possible on this call');
    await manager.close();
  });
});
