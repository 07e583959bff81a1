/**
 * The per-call orchestrator factory over an intent graph compiled on this thread (tests, tools, and the `main`
 * orchestration mode). Production runs the graph in the intent worker instead (`startOrchestration`); this file is
 * the only way the main thread loads LangGraph, so in worker mode it is imported lazily, or not at all.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { Logger } from '../logger.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { compileIntentGraph } from './intent-graph.js';
import { createInThreadRunner, type ThreadRegistry } from './intent-runner.js';
import type { RoutingPolicy } from './routing-policy.js';
import { createRunnerOrchestratorFactory, type OrchestratorFactory } from './runner-orchestrator-factory.js';

export type { OrchestratorCallOptions, OrchestratorFactory } from './runner-orchestrator-factory.js';

/** Options for {@link createOrchestratorFactory}. */
export interface OrchestratorFactoryOptions {
  readonly catalogue: AgentCatalogue;
  readonly classifier: IntentClassifier;
  /** A `CheckpointStore` (from `createCheckpointer`) fits: it has the saver and the thread registry. */
  readonly checkpointer: ThreadRegistry & { readonly saver: BaseCheckpointSaver };
  /** The process logger; each orchestrator logs through a child bound with `callSid`. */
  readonly logger: Logger;
  readonly policy?: RoutingPolicy;
}

/** Compiles the shared intent graph once on this thread and returns the per-call orchestrator factory. */
export function createOrchestratorFactory(options: OrchestratorFactoryOptions): OrchestratorFactory {
  const graph = compileIntentGraph({
    catalogue: options.catalogue,
    classifier: options.classifier,
    checkpointer: options.checkpointer.saver,
    ...(options.policy ? { policy: options.policy } : {}),
  });
  return createRunnerOrchestratorFactory({
    catalogue: options.catalogue,
    runner: createInThreadRunner(graph, options.checkpointer),
    logger: options.logger,
  });
}
