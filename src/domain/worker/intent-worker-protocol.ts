/**
 * The intent worker's wire: what the main thread gives it at start (`workerData`, plain values only: no functions,
 * no live objects) and the messages both sides exchange. Each run and each thread touch carries an `id` the answer
 * echoes; an abort names the run it stops.
 */
import type { Config } from '../../config.js';
import type { AgentCatalogue, AgentCatalogueData } from '../agent-catalogue.js';
import type { ClassifierSettings } from '../create-classifier.js';
import type { IntentGraphInput } from '../intent-graph.js';
import type { IntentRunOutcome } from '../intent-runner.js';
import type { RoutingPolicy } from '../routing-policy.js';

/** Everything the worker needs to build its own catalogue, classifier, checkpoint store and graph. */
export interface IntentWorkerData {
  /** The validated catalogue's file data; the worker validates it again and rebuilds the lookups. */
  readonly catalogue: { readonly data: AgentCatalogueData; readonly source: string };
  readonly classifier: ClassifierSettings;
  /** Where the checkpoints live: the worker opens its own connection (SQLite file or Postgres pool). */
  readonly store: Pick<Config, 'dataDir' | 'databaseUrl'>;
  readonly policy?: RoutingPolicy | undefined;
  /** pino level of the worker's log lines (they are forwarded to the main thread's logger). */
  readonly logLevel: string;
}

/** Main thread → worker. */
export type ToIntentWorker =
  | { readonly type: 'run'; readonly id: number; readonly threadId: string; readonly input: IntentGraphInput }
  | { readonly type: 'touch'; readonly id: number; readonly threadId: string }
  | { readonly type: 'abort'; readonly id: number }
  | { readonly type: 'close' };

/** Worker → main thread. */
export type FromIntentWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'boot-failed'; readonly message: string }
  | { readonly type: 'done'; readonly id: number; readonly outcome?: IntentRunOutcome | undefined }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'log'; readonly line: string };

/** The plain file data of a validated catalogue (what `parseAgentCatalogue` accepts), without its lookups. */
export function catalogueData(catalogue: AgentCatalogue): AgentCatalogueData {
  const { version, business, style, defaultAgent, sameTurnSwitch, agents } = catalogue;
  return { version, business, style, defaultAgent, sameTurnSwitch, agents };
}
