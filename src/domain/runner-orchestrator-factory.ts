/**
 * The per-call orchestrator factory over a shared `IntentRunner`: the call wiring creates one `LangGraphOrchestrator`
 * per call (thread id = CallSid). It does not load LangGraph itself, so a main thread whose graph runs in the intent
 * worker never pays for LangGraph's modules.
 */
import type { Logger } from '../logger.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { AgentToolName } from './agent-tools.js';
import type { IntentRunner } from './intent-runner.js';
import { LangGraphOrchestrator } from './langgraph-orchestrator.js';

/** Per-call choices, e.g. for an outbound call that starts on a specific agent. */
export interface OrchestratorCallOptions {
  readonly initialAgent?: string | undefined;
  readonly instructionParameters?: Readonly<Record<string, string>> | undefined;
  /** The tools the call really has, for every instruction body built for it (undefined: all the catalogue grants). */
  readonly availableTools?: readonly AgentToolName[] | undefined;
  /** The call's own logger when the caller already has one bound with `callSid`/`streamSid`. */
  readonly logger?: Logger | undefined;
}

/** Creates one orchestrator for one call. */
export type OrchestratorFactory = (callSid: string, options?: OrchestratorCallOptions) => LangGraphOrchestrator;

/** Options for {@link createRunnerOrchestratorFactory}. */
export interface RunnerOrchestratorFactoryOptions {
  readonly catalogue: AgentCatalogue;
  /** Where the graph runs; shared by every call. */
  readonly runner: IntentRunner;
  /** The process logger; each orchestrator logs through a child bound with `callSid`. */
  readonly logger: Logger;
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
      availableTools: callOptions.availableTools,
    });
  };
}
