import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentCatalogue, type AgentCatalogue } from '../../../src/domain/agent-catalogue.js';
import { buildInstructions } from '../../../src/domain/instructions.js';
import { startOrchestration, type Orchestration, type OrchestrationOptions } from '../../../src/domain/orchestration.js';
import { openSqliteCheckpointer } from '../../../src/infrastructure/checkpointer-sqlite.js';
import type { CheckpointStore } from '../../../src/infrastructure/checkpointer.js';
import { startChatServer, type ChatServerFake } from '../../../fakes/chat-server.js';
import { recordingLogger } from '../helpers.js';

// These tests start the real worker thread, so they also prove it loads its TypeScript under vitest.

let catalogue: AgentCatalogue;
beforeAll(async () => {
  catalogue = await loadAgentCatalogue();
});

const opened: { orchestration?: Orchestration; store: CheckpointStore; chat?: ChatServerFake }[] = [];
afterEach(async () => {
  for (const entry of opened.splice(0)) {
    await entry.orchestration?.close();
    await entry.store.close();
    await entry.chat?.close();
  }
});

type WorkerConfig = OrchestrationOptions['config'];

async function startWorker(config: Partial<WorkerConfig> = {}, chat?: ChatServerFake) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'intent-worker-'));
  const full: WorkerConfig = {
    classifier: 'keyword',
    openai: { apiKey: undefined, baseUrl: undefined, chatModel: 'gpt-test' } as WorkerConfig['openai'],
    dataDir,
    databaseUrl: undefined,
    logLevel: 'debug',
    ...config,
  };
  // The main thread's own connection to the same SQLite file, as the server keeps one for pruning.
  const store = openSqliteCheckpointer({ dataDir });
  const { logger, lines } = recordingLogger();
  const entry: (typeof opened)[number] = { store, ...(chat ? { chat } : {}) };
  opened.push(entry);
  const orchestration = await startOrchestration({ config: full, catalogue, store, logger, thread: 'worker' });
  entry.orchestration = orchestration;
  return { orchestration, store, lines };
}

const turn = (callSid: string, transcript: string) => ({ callSid, transcript, agentType: 'realtime' as const });

// A worker boots in 1-2 s (tsx compiles its modules); a busy shared machine can take several times that.
describe('the intent worker (real worker thread)', { timeout: 30_000 }, () => {
  it('routes a call in the worker and writes the thread to the shared SQLite file', async () => {
    const { orchestration, store } = await startWorker();
    expect(orchestration.thread).toBe('worker');
    const orchestrator = orchestration.createOrchestrator('CA-worker-1');
    const first = await orchestrator.invoke(turn('CA-worker-1', 'hi, I want to cancel my internet service'));
    expect(first).toMatchObject({ intent: 'cancel_service', agent: 'retention' });
    expect(first?.instruction_update).toBe(buildInstructions(catalogue, 'retention', { previousAgent: 'front_desk', intent: 'cancel_service' }));
    // The thread's state carries over between runs: the second turn is no change.
    const second = await orchestrator.invoke(turn('CA-worker-1', 'yes I want to close my account'));
    expect(second).toMatchObject({ agent: 'retention', instruction_update: undefined });
    await orchestrator.dispose();

    expect(await store.listThreads()).toEqual(['CA-worker-1']);
    const saved = await store.saver.getTuple({ configurable: { thread_id: 'CA-worker-1' } });
    expect(saved?.checkpoint.channel_values.activeAgent).toBe('retention');
    expect((saved?.checkpoint.channel_values.window as { text: string }[]).map((entry) => entry.text)).toEqual([
      'hi, I want to cancel my internet service',
      'yes I want to close my account',
    ]);
  });

  it('aborts a stale run across the thread; the newer run sees both turns and delivers', async () => {
    const chat = await startChatServer({ kind: 'content', content: '{"intent":"bill_explanation","confidence":0.9}', delayMs: 1_500 });
    const { orchestration } = await startWorker(
      { classifier: 'llm', openai: { apiKey: 'sk-test', baseUrl: chat.baseUrl, chatModel: 'gpt-test' } as WorkerConfig['openai'] },
      chat,
    );
    const orchestrator = orchestration.createOrchestrator('CA-worker-2');
    const delivered: unknown[] = [];
    orchestrator.setCallback((result) => {
      delivered.push(result);
    });
    const stale = orchestrator.invoke(turn('CA-worker-2', 'I have a question about my bill'));
    while (chat.requests.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    chat.reply({ kind: 'content', content: '{"intent":"cancel_service","confidence":0.9}' });
    const fresh = orchestrator.invoke(turn('CA-worker-2', 'actually I want to cancel my service'));
    expect(await stale).toBeUndefined();
    const result = await fresh;
    expect(result).toMatchObject({ agent: 'retention', intent: 'cancel_service' });
    expect(delivered).toEqual([result]);
    const lastPrompt = JSON.stringify(chat.requests.at(-1));
    expect(lastPrompt).toContain('I have a question about my bill');
    expect(lastPrompt).toContain('actually I want to cancel my service');
    await orchestrator.dispose();
  });

  it('fails to start with a readable error when the worker cannot open its store', async () => {
    const blocker = path.join(await mkdtemp(path.join(tmpdir(), 'intent-worker-bad-')), 'a-file');
    await writeFile(blocker, 'not a directory');
    const store = openSqliteCheckpointer({ dataDir: path.dirname(blocker) });
    opened.push({ store });
    const options: OrchestrationOptions = {
      config: {
        classifier: 'keyword',
        openai: { apiKey: undefined, baseUrl: undefined, chatModel: 'gpt-test' } as WorkerConfig['openai'],
        dataDir: blocker,
        databaseUrl: undefined,
        logLevel: 'debug',
      },
      catalogue,
      store,
      logger: recordingLogger().logger,
      thread: 'worker',
    };
    await expect(startOrchestration(options)).rejects.toThrow(/Intent worker failed to start: Cannot open the checkpoint database/);
  });
});
