/**
 * The intent worker's body, run inside a `node:worker_threads` worker (directly when compiled, through
 * `intent-worker-entry.mjs` when run as TypeScript): it builds the catalogue, classifier, checkpoint store and
 * compiled intent graph from `workerData`, then executes run and touch requests from the main thread. LangGraph's CPU
 * (and the SQLite writes, and the LLM classifier's HTTP client) stay on this thread, so they never hold the calls'
 * audio on the main event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import { createCheckpointer, type CheckpointStore } from '../../infrastructure/checkpointer.js';
import { createLogger, type Logger } from '../../logger.js';
import { parseAgentCatalogue } from '../agent-catalogue.js';
import { createClassifier } from '../create-classifier.js';
import { compileIntentGraph } from '../intent-graph.js';
import { createInThreadRunner, type IntentRunner } from '../intent-runner.js';
import type { FromIntentWorker, IntentWorkerData, ToIntentWorker } from './intent-worker-protocol.js';
import { lowerCurrentThreadPriority } from './thread-priority.js';
import { tuneWorkerRuntime } from './worker-runtime.js';

type Port = NonNullable<typeof parentPort>;

/** Sends every log line to the main thread, whose logger writes it with the call's other lines. */
function forwardingLogger(port: Port, level: string): Logger {
  const post = (message: FromIntentWorker): void => port.postMessage(message);
  const sink = { write: (line: string) => post({ type: 'log', line }) } as unknown as Writable;
  return createLogger(level, sink);
}

async function boot(port: Port, data: IntentWorkerData): Promise<{ runner: IntentRunner; store: CheckpointStore }> {
  const logger = forwardingLogger(port, data.logLevel).child({ component: 'intent-worker' });
  if (!lowerCurrentThreadPriority()) logger.debug('intent worker runs at the default CPU priority');
  const catalogue = parseAgentCatalogue(data.catalogue.data, data.catalogue.source);
  const store = await createCheckpointer(data.store, { logger });
  try {
    const classifier = createClassifier(data.classifier, catalogue, logger);
    const graph = compileIntentGraph({ catalogue, classifier, checkpointer: store.saver, ...(data.policy ? { policy: data.policy } : {}) });
    return { runner: createInThreadRunner(graph, store), store };
  } catch (error) {
    await store.close();
    throw error;
  }
}

function serve(port: Port, runner: IntentRunner, store: CheckpointStore): void {
  const post = (message: FromIntentWorker): void => port.postMessage(message);
  const runs = new Map<number, AbortController>();
  const fail = (id: number, error: unknown): void => post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });

  port.on('message', (message: ToIntentWorker) => {
    switch (message.type) {
      case 'run': {
        const controller = new AbortController();
        runs.set(message.id, controller);
        runner.run({ threadId: message.threadId, input: message.input }, controller.signal).then(
          (outcome) => post({ type: 'done', id: message.id, outcome }),
          (error: unknown) => fail(message.id, error),
        ).finally(() => runs.delete(message.id));
        return;
      }
      case 'touch':
        runner.touchThread(message.threadId).then(
          () => post({ type: 'done', id: message.id }),
          (error: unknown) => fail(message.id, error),
        );
        return;
      case 'abort':
        runs.get(message.id)?.abort(new Error('superseded or call ended'));
        return;
      case 'close':
        for (const controller of runs.values()) controller.abort(new Error('intent worker closing'));
        // Closing the port ends the worker once the store is released.
        void store.close().finally(() => port.close());
        return;
    }
  });
}

const port = parentPort;
if (port) {
  tuneWorkerRuntime();
  boot(port, workerData as IntentWorkerData).then(
    ({ runner, store }) => {
      serve(port, runner, store);
      port.postMessage({ type: 'ready' } satisfies FromIntentWorker);
    },
    (error: unknown) => {
      port.postMessage({ type: 'boot-failed', message: error instanceof Error ? error.message : String(error) } satisfies FromIntentWorker);
    },
  );
}
