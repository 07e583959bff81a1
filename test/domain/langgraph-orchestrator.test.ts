import { beforeAll, describe, expect, it } from 'vitest';
import { loadAgentCatalogue, type AgentCatalogue } from '../../src/domain/agent-catalogue.js';
import type { Classification, ClassifierInput, IntentClassifier } from '../../src/domain/intent-classifier.js';
import { compileIntentGraph, type IntentGraph, type IntentGraphState } from '../../src/domain/intent-graph.js';
import { createInThreadRunner } from '../../src/domain/intent-runner.js';
import { KeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { LangGraphOrchestrator } from '../../src/domain/langgraph-orchestrator.js';
import { AGENT_TOOL_PURPOSES, AGENT_TOOL_UNAVAILABLE } from '../../src/domain/agent-tools.js';
import { createOrchestratorFactory } from '../../src/domain/orchestrator-factory.js';
import type { OrchestratorResult } from '../../src/domain/orchestrator.js';
import { buildInstructions } from '../../src/domain/instructions.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { recordingLogger } from './helpers.js';

/** A classifier whose answers the test releases one by one; it records every call and its signal. */
class GatedClassifier implements IntentClassifier {
  readonly calls: { input: ClassifierInput; signal: AbortSignal; release: (answer: Classification | undefined) => void }[] = [];

  classify(input: ClassifierInput, signal: AbortSignal): Promise<Classification | undefined> {
    return new Promise((resolve, reject) => {
      this.calls.push({ input, signal, release: resolve });
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }

  async waitForCall(count: number): Promise<void> {
    while (this.calls.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Answers from a fixed script, in order. */
class ScriptedClassifier implements IntentClassifier {
  readonly inputs: ClassifierInput[] = [];
  constructor(private readonly answers: (Classification | undefined)[]) {}
  async classify(input: ClassifierInput): Promise<Classification | undefined> {
    this.inputs.push(input);
    return this.answers.shift();
  }
}

let catalogue: AgentCatalogue;
beforeAll(async () => {
  catalogue = await loadAgentCatalogue();
});

function setup(classifier: IntentClassifier, callSid = 'CA-test') {
  const store = createMemoryCheckpointer();
  const graph: IntentGraph = compileIntentGraph({ catalogue, classifier, checkpointer: store.saver });
  const { logger } = recordingLogger();
  const orchestrator = new LangGraphOrchestrator({ callSid, runner: createInThreadRunner(graph, store), catalogue, logger });
  const delivered: OrchestratorResult[] = [];
  orchestrator.setCallback((result) => {
    delivered.push(result);
  });
  const state = async () => (await graph.getState({ configurable: { thread_id: callSid } })).values as IntentGraphState;
  return { orchestrator, delivered, state, store };
}

const input = (transcript: string) => ({ callSid: 'CA-test', transcript, agentType: 'realtime' as const });

describe('LangGraphOrchestrator', () => {
  it('routes a cancellation to retention with the retention instructions, then reports no change on the next turn', async () => {
    const { orchestrator, delivered, state } = setup(new KeywordClassifier({ catalogue }));
    const first = await orchestrator.invoke(input('hi, I want to cancel my internet service'));
    expect(first).toMatchObject({ intent: 'cancel_service', agent: 'retention' });
    expect(first?.instruction_update).toBe(
      buildInstructions(catalogue, 'retention', { previousAgent: 'front_desk', intent: 'cancel_service' }),
    );
    expect((await state()).agentUpdate).toBe('retention');

    const second = await orchestrator.invoke(input('yes I want to close my account'));
    expect(second).toMatchObject({ intent: 'cancel_service', agent: 'retention', instruction_update: undefined });
    // The per-turn output was reset by this turn, although the thread kept the previous turn's state.
    expect((await state()).agentUpdate).toBeNull();
    expect(delivered).toEqual([first, second]);
  });

  it('keeps a small state: agent keys, no instruction bodies, a bounded window', async () => {
    const { orchestrator, state } = setup(new KeywordClassifier({ catalogue }));
    for (let i = 0; i < 9; i += 1) await orchestrator.invoke(input(`my internet is slow again number ${i}`));
    const values = await state();
    expect(values.window).toHaveLength(6);
    expect(values.window.at(-1)?.text).toBe('my internet is slow again number 8');
    expect(JSON.stringify(values)).not.toContain('How to speak');
  });

  it('needs two consecutive moderate turns to leave a specialist, and does not flip back', async () => {
    const classifier = new ScriptedClassifier([
      { intent: 'bill_explanation', confidence: 0.7 },
      { intent: 'cancel_service', confidence: 0.6 },
      { intent: 'cancel_service', confidence: 0.6 },
      { intent: 'bill_explanation', confidence: 0.95 },
    ]);
    const { orchestrator } = setup(classifier);
    expect((await orchestrator.invoke(input('why is my bill so high')))?.agent).toBe('billing');
    const pending = await orchestrator.invoke(input('maybe I should just leave'));
    expect(pending).toMatchObject({ agent: 'billing', intent: 'bill_explanation', instruction_update: undefined });
    const switched = await orchestrator.invoke(input('yes I want to cancel'));
    expect(switched?.agent).toBe('retention');
    expect(switched?.instruction_update).toContain('customer care team');
    const flip = await orchestrator.invoke(input('but the bill is wrong'));
    expect(flip).toMatchObject({ agent: 'retention', instruction_update: undefined });
  });

  it('skips fillers and very short turns without classifying them', async () => {
    const classifier = new ScriptedClassifier([{ intent: 'internet_outage', confidence: 0.9 }]);
    const { orchestrator, delivered, state } = setup(classifier);
    expect(await orchestrator.invoke(input('uh huh'))).toBeUndefined();
    expect(await orchestrator.invoke(input('ok'))).toBeUndefined();
    expect(await orchestrator.invoke(input('m'))).toBeUndefined();
    expect(classifier.inputs).toHaveLength(0);
    expect(delivered).toHaveLength(0);
    await orchestrator.invoke(input('my internet is down'));
    expect(classifier.inputs[0]?.transcriptWindow).toEqual(['my internet is down']);
    expect((await state()).window.map((turn) => turn.text)).toEqual(['my internet is down']);
  });

  it('aborts a stale run when a newer transcript arrives; the later one wins and both turns are kept', async () => {
    const classifier = new GatedClassifier();
    const { orchestrator, delivered, state } = setup(classifier);
    const stale = orchestrator.invoke(input('I have a question about my bill'));
    await classifier.waitForCall(1);
    const fresh = orchestrator.invoke(input('actually I want to cancel my service'));
    expect(classifier.calls[0]?.signal.aborted).toBe(true);
    expect(await stale).toBeUndefined();

    await classifier.waitForCall(2);
    expect(classifier.calls[1]?.input.transcriptWindow).toEqual([
      'I have a question about my bill',
      'actually I want to cancel my service',
    ]);
    classifier.calls[1]?.release({ intent: 'cancel_service', confidence: 0.9 });
    const result = await fresh;
    expect(result).toMatchObject({ agent: 'retention', intent: 'cancel_service' });
    expect(delivered).toEqual([result]);
    expect((await state()).window.map((turn) => turn.text)).toEqual([
      'I have a question about my bill',
      'actually I want to cancel my service',
    ]);
  });

  it('drops a classifier answer that arrives after its run went stale; only the newer run delivers', async () => {
    let release: (() => void) | undefined;
    const sticky: IntentClassifier = {
      // Ignores the abort signal, like a client that cannot cancel: its answer arrives late.
      classify: (call) =>
        call.transcriptWindow.length === 1
          ? new Promise((resolve) => {
              release = () => resolve({ intent: 'cancel_service', confidence: 0.9 });
            })
          : Promise.resolve({ intent: 'cancel_service', confidence: 0.9 }),
    };
    const { orchestrator, delivered } = setup(sticky);
    const stale = orchestrator.invoke(input('I want to cancel'));
    while (!release) await new Promise((resolve) => setTimeout(resolve, 2));
    const fresh = orchestrator.invoke(input('please close the account'));
    release();
    expect(await stale).toBeUndefined();
    const result = await fresh;
    expect(result?.agent).toBe('retention');
    expect(result?.instruction_update).toContain('customer care team');
    expect(delivered).toEqual([result]);
  });

  it('returns nothing after dispose and aborts the run in flight', async () => {
    const classifier = new GatedClassifier();
    const { orchestrator, delivered } = setup(classifier);
    const running = orchestrator.invoke(input('my internet is down'));
    await classifier.waitForCall(1);
    await orchestrator.dispose();
    expect(classifier.calls[0]?.signal.aborted).toBe(true);
    expect(await running).toBeUndefined();
    expect(await orchestrator.invoke(input('hello again'))).toBeUndefined();
    expect(delivered).toHaveLength(0);
  });

  it('keeps the call in the thread named by the CallSid and records its use', async () => {
    const { orchestrator, store } = setup(new KeywordClassifier({ catalogue }), 'CA-thread-1');
    await orchestrator.invoke({ ...input('my wifi is not working'), callSid: 'CA-thread-1' });
    expect(await store.listThreads()).toEqual(['CA-thread-1']);
    const saved = await store.saver.getTuple({ configurable: { thread_id: 'CA-thread-1' } });
    expect(saved?.checkpoint.channel_values.activeAgent).toBe('technical_support');
  });

  it('keeps running when the completion callback throws', async () => {
    const { orchestrator } = setup(new KeywordClassifier({ catalogue }));
    orchestrator.setCallback(() => {
      throw new Error('session gone');
    });
    expect((await orchestrator.invoke(input('I want to cancel my service')))?.agent).toBe('retention');
    expect((await orchestrator.invoke(input('my internet is not working')))?.agent).toBe('technical_support');
  });
});

describe('createOrchestratorFactory', () => {
  it('compiles once and gives each call its own thread, starting agent and parameters', async () => {
    const store = createMemoryCheckpointer();
    const { logger } = recordingLogger();
    const create = createOrchestratorFactory({ catalogue, classifier: new KeywordClassifier({ catalogue }), checkpointer: store, logger });
    const a = create('CA-a');
    const b = create('CA-b', { initialAgent: 'billing', instructionParameters: { purpose: 'payment reminder' } });
    expect(b.activeAgent).toBe('billing');
    const resultA = await a.invoke({ callSid: 'CA-a', transcript: 'why is my bill so high', agentType: 'realtime' });
    const resultB = await b.invoke({ callSid: 'CA-b', transcript: 'my internet is not working', agentType: 'realtime' });
    expect(resultA?.agent).toBe('billing');
    expect(resultB?.agent).toBe('technical_support');
    expect(resultB?.instruction_update).toContain('- purpose: payment reminder');
    expect((await store.listThreads()).sort()).toEqual(['CA-a', 'CA-b']);
    expect(() => create('CA-c', { initialAgent: 'nobody' })).toThrowError(/Unknown initial agent "nobody"/);
  });

  it('builds handoff instructions with only the tools the call has', async () => {
    const { logger } = recordingLogger();
    const create = createOrchestratorFactory({ catalogue, classifier: new KeywordClassifier({ catalogue }), checkpointer: createMemoryCheckpointer(), logger });
    const withoutTools = await create('CA-none', { availableTools: [] }).invoke({ callSid: 'CA-none', transcript: 'my internet is not working', agentType: 'realtime' });
    expect(withoutTools?.agent).toBe('technical_support');
    expect(withoutTools?.instruction_update).not.toContain(AGENT_TOOL_PURPOSES.transfer_to_human);
    expect(withoutTools?.instruction_update).toContain(AGENT_TOOL_UNAVAILABLE.transfer_to_human);
    const withTools = await create('CA-all').invoke({ callSid: 'CA-all', transcript: 'my internet is not working', agentType: 'realtime' });
    expect(withTools?.instruction_update).toContain(AGENT_TOOL_PURPOSES.transfer_to_human);
  });
});
