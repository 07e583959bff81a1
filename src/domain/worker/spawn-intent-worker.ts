/**
 * Starts the intent worker thread (`node:worker_threads`) and adapts it to the small typed handle the runner uses,
 * so tests can drive the runner with a fake worker.
 */
import { Worker } from 'node:worker_threads';
import type { FromIntentWorker, IntentWorkerData, ToIntentWorker } from './intent-worker-protocol.js';

/** What the runner hears from one worker. */
export interface IntentWorkerEvents {
  onMessage(message: FromIntentWorker): void;
  /** The thread ended; `error` is the uncaught exception that ended it, if any. */
  onExit(exitCode: number, error: Error | undefined): void;
}

/** The runner's handle on one worker thread. */
export interface IntentWorkerHandle {
  post(message: ToIntentWorker): void;
  /** Stops the thread at once (its `onExit` still fires). */
  terminate(): Promise<void>;
}

/** Starts one worker; production uses {@link spawnIntentWorker}. */
export type SpawnIntentWorker = (data: IntentWorkerData, events: IntentWorkerEvents) => IntentWorkerHandle;

/**
 * The worker's entry file. Compiled (`dist/`, `npm start`) this module is JavaScript and the worker runs the compiled
 * body directly. Run as TypeScript (tsx, vitest) it starts from a plain ESM file that loads the TypeScript body through
 * tsx, because a worker thread does not inherit the loader that compiles TypeScript (see that file).
 */
const INTENT_WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./intent-worker-entry.mjs', import.meta.url)
  : new URL('./intent-worker.js', import.meta.url);

/** Starts the real intent worker thread with `data` as its `workerData`. */
export const spawnIntentWorker: SpawnIntentWorker = (data, events) => {
  const worker = new Worker(INTENT_WORKER_ENTRY, { workerData: data, name: 'intent-worker' });
  let crash: Error | undefined;
  worker.on('message', (message: FromIntentWorker) => events.onMessage(message));
  worker.on('error', (error) => {
    crash = error;
  });
  worker.on('exit', (exitCode) => events.onExit(exitCode, crash));
  return {
    post: (message) => worker.postMessage(message),
    terminate: async () => {
      await worker.terminate();
    },
  };
};
