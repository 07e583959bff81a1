import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentCatalogue, type AgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { LlmClassifier } from '../../src/domain/llm-classifier.js';
import { OpenAIChatClient } from '../../src/infrastructure/openai-chat-client.js';
import { startChatServer, type ChatServerFake } from '../../fakes/chat-server.js';
import { recordingLogger } from './helpers.js';

describe('LlmClassifier on OpenAIChatClient against the local chat fake', () => {
  let server: ChatServerFake;
  let catalogue: AgentCatalogue;
  let classifier: LlmClassifier;
  let lines: Record<string, unknown>[];

  beforeAll(async () => {
    server = await startChatServer();
    catalogue = await loadAgentCatalogue();
    const recorded = recordingLogger();
    lines = recorded.lines;
    const chat = new OpenAIChatClient({
      apiKey: 'sk-test',
      model: 'gpt-test-mini',
      baseURL: server.baseUrl,
      timeoutMs: 1_000,
      logger: recorded.logger,
    });
    classifier = new LlmClassifier({ catalogue, chat });
  });
  afterAll(async () => server.close());

  const input = { transcriptWindow: ['hello', 'I want to cancel my internet'], currentIntent: 'general_inquiry' };

  it('returns the intent and confidence from a valid structured reply', async () => {
    server.reply({ kind: 'content', content: '{"intent":"cancel_service","confidence":0.92}' });
    const result = await classifier.classify(input, new AbortController().signal);
    expect(result).toEqual({ intent: 'cancel_service', confidence: 0.92 });
  });

  it('sends the explicit model, a strict json_schema limited to catalogue intents, and the turns', async () => {
    server.reply({ kind: 'content', content: '{"intent":"none","confidence":0.3}' });
    const before = server.requests.length;
    await classifier.classify(input, new AbortController().signal);
    const body = server.requests[before] as {
      model: string;
      response_format: { type: string; json_schema: { name: string; strict: boolean; schema: { properties: { intent: { enum: string[] } } } } };
      messages: { role: string; content: string }[];
    };
    expect(body.model).toBe('gpt-test-mini');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.response_format.json_schema.schema.properties.intent.enum).toEqual([
      'none',
      ...catalogue.intents.map((intent) => intent.name),
    ]);
    expect(body.messages.at(-1)?.content).toContain('2. I want to cancel my internet');
  });

  it('treats "none" as no change', async () => {
    server.reply({ kind: 'content', content: '{"intent":"none","confidence":0.8}' });
    expect(await classifier.classify(input, new AbortController().signal)).toBeUndefined();
  });

  it('treats invalid JSON as no change and logs it', async () => {
    server.reply({ kind: 'content', content: '{"intent": "cancel_service", confid' });
    expect(await classifier.classify(input, new AbortController().signal)).toBeUndefined();
    expect(lines.some((line) => line.reason === 'invalid json')).toBe(true);
  });

  it('treats an intent outside the catalogue as no change', async () => {
    server.reply({ kind: 'content', content: '{"intent":"order_pizza","confidence":0.99}' });
    expect(await classifier.classify(input, new AbortController().signal)).toBeUndefined();
    expect(lines.some((line) => line.reason === 'schema mismatch')).toBe(true);
  });

  it('treats an HTTP error as no change', async () => {
    server.reply({ kind: 'status', status: 400 });
    expect(await classifier.classify(input, new AbortController().signal)).toBeUndefined();
  });

  it('gives up at the timeout on a slow server and reports no change', async () => {
    server.reply({ kind: 'content', content: '{"intent":"cancel_service","confidence":0.9}', delayMs: 5_000 });
    // Without the deadline the fake would answer "cancel_service" after 5 s, inside the test's own timeout.
    expect(await classifier.classify(input, new AbortController().signal)).toBeUndefined();
    expect(lines.some((line) => line.timedOut === true)).toBe(true);
  });

  it('returns no change at once when the run is aborted', async () => {
    server.reply({ kind: 'content', content: '{"intent":"cancel_service","confidence":0.9}', delayMs: 5_000 });
    const controller = new AbortController();
    const pending = classifier.classify(input, controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBeUndefined();
  });
});
