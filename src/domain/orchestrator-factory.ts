/**
 * Wires the domain layer once per process: compiles the intent graph with the checkpointer and returns a factory
 * that the call wiring uses to create one `LangGraphOrchestrator` per call (thread id = CallSid).
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { Logger } from '../logger.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { compileIntentGraph } from './intent-graph.js';
import { LangGraphOrchestrator, type ThreadRegistry } from './langgraph-orchestrator.js';
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

/** Per-call choices, e.g. for an outbound call that starts on a specific agent. */
export interface OrchestratorCallOptions {
  readonly initialAgent?: string | undefined;
  readonly instructionParameters?: Readonly<Record<string, string>> | undefined;
  /** The call's own logger when the caller already has one bound with `callSid`/`streamSid`. */
  readonly logger?: Logger | undefined;
}

/** Creates one orchestrator for one call. */
export type OrchestratorFactory = (callSid: string, options?: OrchestratorCallOptions) => LangGraphOrchestrator;

/** Compiles the shared intent graph once and returns the per-call orchestrator factory. */
export function createOrchestratorFactory(options: OrchestratorFactoryOptions): OrchestratorFactory {
  const graph = compileIntentGraph({
    catalogue: options.catalogue,
    classifier: options.classifier,
    checkpointer: options.checkpointer.saver,
    ...(options.policy ? { policy: options.policy } : {}),
  });
  return function createOrchestrator(callSid, callOptions = {}) {
    return new LangGraphOrchestrator({
      callSid,
      graph,
      catalogue: options.catalogue,
      threads: options.checkpointer,
      logger: callOptions.logger ?? options.logger.child({ callSid }),
      initialAgent: callOptions.initialAgent,
      instructionParameters: callOptions.instructionParameters,
    });
  };
}
