/**
 * Wires the domain layer once per process: a factory that the call wiring uses to create one `LangGraphOrchestrator`
 * per call (thread id = CallSid) over one shared `IntentRunner` — the intent worker in production
 * (`startOrchestration`), or a graph compiled on this thread (`createOrchestratorFactory`, for tests and tools).
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { Logger } from '../logger.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { compileIntentGraph } from './intent-graph.js';
import { createInThreadRunner, type IntentRunner, type ThreadRegistry } from './intent-runner.js';
import { LangGraphOrchestrator } from './langgraph-orchestrator.js';
import type { RoutingPolicy } from './routing-policy.js';

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

/** Options for {@link createRunnerOrchestratorFactory}. */
export interface RunnerOrchestratorFactoryOptions {
  readonly catalogue: AgentCatalogue;
  /** Where the graph runs; shared by every call. */
  readonly runner: IntentRunner;
  readonly logger: Logger;
}

/** Per-call choices, e.g. for an outbound call that starts on a specific agent. */
export interface OrchestratorCallOptions {
  readonly initialAgent?: string | undefined;
  readonly instructionParameters?: Readonly<Record<string, string>> | undefined;
  /** The call's own logger when the caller already has one bound with `callSid`/`streamSid`. */
  readonly logger?: Logger | undefined;
}

/** Creates one orchestrator for one call. */
export type OrchestratorFactory = (callSid: string, options?: OrchestratorCallOptions) => LangGraphOrchestrator;

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

/** Returns the per-call orchestrator factory over an existing runner (e.g. the intent worker's). */
export function createRunnerOrchestratorFactory(options: RunnerOrchestratorFactoryOptions): OrchestratorFactory {
  return function createOrchestrator(callSid, callOptions = {}) {
    return new LangGraphOrchestrator({
      callSid,
      runner: options.runner,
      catalogue: options.catalogue,
      logger: callOptions.logger ?? options.logger.child({ callSid }),
      initialAgent: callOptions.initialAgent,
      instructionParameters: callOptions.instructionParameters,
    });
  };
}
