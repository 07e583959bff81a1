/**
 * Chooses where the intent graph runs for the whole process and returns the per-call orchestrator factory:
 * - `worker` (production default): a `node:worker_threads` worker builds its own classifier, checkpoint store and
 *   graph from plain configuration, so LangGraph's CPU never holds the calls' audio on the main event loop;
 * - `main`: the graph is compiled on this thread with the given store and classifier objects (tests that pass a
 *   memory store or a fake classifier, which cannot cross a thread boundary; debugging with one thread).
 */
import type { Config } from '../config.js';
import type { CheckpointStore } from '../infrastructure/checkpointer.js';
import type { Logger } from '../logger.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import { classifierSettings, createClassifier } from './create-classifier.js';
import type { IntentClassifier } from './intent-classifier.js';
import type { RoutingPolicy } from './routing-policy.js';
import { createRunnerOrchestratorFactory, type OrchestratorFactory } from './runner-orchestrator-factory.js';
import { catalogueData } from './worker/intent-worker-protocol.js';
import { WorkerIntentRunner } from './worker/worker-intent-runner.js';

/** Which thread runs the intent graph. */
export type OrchestratorThread = 'worker' | 'main';

/** Options for {@link startOrchestration}. */
export interface OrchestrationOptions {
  readonly config: Pick<Config, 'classifier' | 'openai' | 'dataDir' | 'databaseUrl' | 'logLevel'>;
  readonly catalogue: AgentCatalogue;
  /** The process's store: used by the graph in `main` mode; the worker opens its own from `config`. */
  readonly store: CheckpointStore;
  readonly logger: Logger;
  readonly thread: OrchestratorThread;
  /** Only in `main` mode: a classifier object to use instead of the configured one. */
  readonly classifier?: IntentClassifier | undefined;
  readonly policy?: RoutingPolicy | undefined;
}

/** The process's orchestration: the per-call factory, and `close()` to stop the worker at shutdown. */
export interface Orchestration {
  readonly thread: OrchestratorThread;
  readonly createOrchestrator: OrchestratorFactory;
  /** Stops the intent worker (no-op in `main` mode); call after every call ended. */
  close(): Promise<void>;
}

/** Builds the orchestration; throws a readable setup error when the worker cannot start. */
export async function startOrchestration(options: OrchestrationOptions): Promise<Orchestration> {
  const { config, catalogue, logger } = options;
  if (options.thread === 'main') {
    const classifier = options.classifier ?? createClassifier(config, catalogue, logger);
    // Loaded here only: in worker mode the main thread never loads LangGraph.
    const { createOrchestratorFactory } = await import('./orchestrator-factory.js');
    const createOrchestrator = createOrchestratorFactory({
      catalogue,
      classifier,
      checkpointer: options.store,
      logger,
      ...(options.policy ? { policy: options.policy } : {}),
    });
    return { thread: 'main', createOrchestrator, close: async () => {} };
  }
  if (options.classifier) throw new Error('A classifier object cannot run in the intent worker; use the main thread for it');
  const runner = await WorkerIntentRunner.start({
    data: {
      catalogue: { data: catalogueData(catalogue), source: catalogue.source },
      classifier: classifierSettings(config),
      store: { dataDir: config.dataDir, databaseUrl: config.databaseUrl },
      policy: options.policy,
      logLevel: config.logLevel,
    },
    logger,
  });
  return {
    thread: 'worker',
    createOrchestrator: createRunnerOrchestratorFactory({ catalogue, runner, logger }),
    close: () => runner.close(),
  };
}
