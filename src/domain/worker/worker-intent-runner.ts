/**
 * `WorkerIntentRunner`: the `IntentRunner` that executes the intent graph in a worker thread. The main thread only
 * posts a run (thread id + turns) and receives its outcome, so LangGraph's CPU per turn no longer holds every call's
 * audio on the main event loop.
 *
 * - Abort crosses the thread: an aborted signal posts `abort` with the run's id; the run's promise still settles
 *   only when the worker reports it stopped, so the orchestrator's next run on that thread never overlaps it.
 * - A worker that dies (uncaught error, out of memory, killed) fails every run in flight with an error, which the
 *   orchestrator turns into "no change"; it is logged at error level and a new worker is started after a short
 *   delay. Runs during the delay fail fast; runs after it queue in the new worker's port while it boots.
 * - A worker that answers nothing for {@link WORKER_ANSWER_DEADLINE_MS} is taken as stuck and replaced the same way.
 * - A worker that fails to boot at startup throws from {@link WorkerIntentRunner.start}; after a restart it is
 *   retried with a doubling delay, and runs fail fast until one boots.
 */
import type { Logger } from '../../logger.js';
import type { IntentRunner, IntentRunOutcome, IntentRunRequest } from '../intent-runner.js';
import type { FromIntentWorker, IntentWorkerData } from './intent-worker-protocol.js';
import { spawnIntentWorker, type IntentWorkerHandle, type SpawnIntentWorker } from './spawn-intent-worker.js';

/** First delay before restarting a worker that stopped; doubled after every restart that fails to boot. */
export const WORKER_RESTART_DELAY_MS = 100;
/** Longest delay between restarts of a worker that keeps failing to boot. */
export const WORKER_RESTART_MAX_DELAY_MS = 30_000;
/**
 * A run or touch the worker has not answered after this long means a stuck worker (the classifier's whole request
 * is bounded to 2 s): it is terminated and restarted, and what it held ends as no change.
 */
export const WORKER_ANSWER_DEADLINE_MS = 15_000;
/** How long `close()` waits for the worker to release its store before terminating it. */
export const WORKER_CLOSE_TIMEOUT_MS = 2_000;

/** Options for {@link WorkerIntentRunner.start}. */
export interface WorkerIntentRunnerOptions {
  /** Plain settings the worker builds its catalogue, classifier, store and graph from. */
  readonly data: IntentWorkerData;
  /** Receives the runner's own lines and the worker's forwarded ones. */
  readonly logger: Logger;
  /** Starts a worker; tests pass a fake. */
  readonly spawn?: SpawnIntentWorker;
  readonly restartDelayMs?: number;
  /** Overrides {@link WORKER_ANSWER_DEADLINE_MS} (tests). */
  readonly answerDeadlineMs?: number;
}

interface Pending {
  resolve(outcome: IntentRunOutcome | undefined): void;
  reject(error: Error): void;
  readonly deadline: NodeJS.Timeout;
}

/** Runs the intent graph in a worker thread, restarting the worker when it dies. */
export class WorkerIntentRunner implements IntentRunner {
  readonly #options: WorkerIntentRunnerOptions;
  readonly #logger: Logger;
  readonly #spawn: SpawnIntentWorker;
  readonly #pending = new Map<number, Pending>();
  #worker: IntentWorkerHandle | undefined;
  #ready = false;
  #spawnedAtMs = 0;
  #nextId = 0;
  #restartDelayMs: number;
  #restartTimer: NodeJS.Timeout | undefined;
  #booted: { resolve(): void; reject(error: Error): void } | undefined;
  #exited: (() => void) | undefined;
  #closed = false;

  private constructor(options: WorkerIntentRunnerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'intent-runner' });
    this.#spawn = options.spawn ?? spawnIntentWorker;
    this.#restartDelayMs = options.restartDelayMs ?? WORKER_RESTART_DELAY_MS;
  }

  /** Starts the worker and resolves once its graph is compiled and its store open; throws a readable boot error. */
  static async start(options: WorkerIntentRunnerOptions): Promise<WorkerIntentRunner> {
    const runner = new WorkerIntentRunner(options);
    const booted = new Promise<void>((resolve, reject) => {
      runner.#booted = { resolve, reject };
    });
    runner.#startWorker();
    try {
      await booted;
    } catch (error) {
      await runner.close();
      throw error;
    }
    return runner;
  }

  run(request: IntentRunRequest, signal: AbortSignal): Promise<IntentRunOutcome> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const worker = this.#worker;
    if (!worker) return Promise.reject(new Error(this.#closed ? 'intent worker closed' : 'intent worker is restarting'));
    const id = ++this.#nextId;
    const onAbort = (): void => worker.post({ type: 'abort', id });
    signal.addEventListener('abort', onAbort, { once: true });
    const settled = this.#request(worker, id).finally(() => signal.removeEventListener('abort', onAbort));
    worker.post({ type: 'run', id, threadId: request.threadId, input: { window: [...request.input.window], initialAgent: request.input.initialAgent } });
    return settled.then((outcome) => {
      if (!outcome) throw new Error('intent worker answered a run without an outcome');
      return outcome;
    });
  }

  async touchThread(threadId: string): Promise<void> {
    const worker = this.#worker;
    if (!worker) throw new Error(this.#closed ? 'intent worker closed' : 'intent worker is restarting');
    const id = ++this.#nextId;
    const settled = this.#request(worker, id);
    worker.post({ type: 'touch', id, threadId });
    await settled;
  }

  /** Stops the worker (it closes its store first) and fails whatever is still in flight; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => {
        this.#exited = resolve;
      });
      worker.post({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), WORKER_CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.#failAll(new Error('intent worker closed'));
  }

  #request(worker: IntentWorkerHandle, id: number): Promise<IntentRunOutcome | undefined> {
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => this.#onStuck(worker, id), this.#options.answerDeadlineMs ?? WORKER_ANSWER_DEADLINE_MS);
      deadline.unref();
      this.#pending.set(id, { resolve, reject, deadline });
    });
  }

  /** A request outlived its deadline: the worker is stuck (e.g. a loop that never yields), so it is replaced. */
  #onStuck(worker: IntentWorkerHandle, id: number): void {
    if (!this.#pending.has(id) || worker !== this.#worker) return;
    this.#logger.error({ requestId: id }, 'intent worker did not answer in time; terminating it');
    void worker.terminate();
  }

  #startWorker(): void {
    this.#restartTimer = undefined;
    this.#ready = false;
    this.#spawnedAtMs = performance.now();
    const worker = this.#spawn(this.#options.data, {
      onMessage: (message) => this.#onMessage(worker, message),
      onExit: (exitCode, error) => this.#onExit(worker, exitCode, error),
    });
    this.#worker = worker;
  }

  #onMessage(worker: IntentWorkerHandle, message: FromIntentWorker): void {
    switch (message.type) {
      case 'ready':
        this.#ready = true;
        this.#logger.info({ bootMs: Math.round(performance.now() - this.#spawnedAtMs) }, 'intent worker ready');
        this.#restartDelayMs = this.#options.restartDelayMs ?? WORKER_RESTART_DELAY_MS;
        this.#booted?.resolve();
        this.#booted = undefined;
        return;
      case 'boot-failed': {
        const error = new Error(`Intent worker failed to start: ${message.message}`);
        if (this.#booted) this.#failStart(error);
        else this.#logger.error({ err: error }, 'intent worker failed to start; retrying');
        void worker.terminate();
        return;
      }
      case 'done':
        this.#settle(message.id)?.resolve(message.outcome);
        return;
      case 'failed':
        this.#settle(message.id)?.reject(new Error(message.message));
        return;
      case 'log':
        this.#forwardLog(message.line);
        return;
    }
  }

  #onExit(worker: IntentWorkerHandle, exitCode: number, error: Error | undefined): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    const wasReady = this.#ready;
    this.#ready = false;
    if (this.#closed) {
      this.#exited?.();
      return;
    }
    if (this.#booted) {
      this.#failStart(new Error(`Intent worker stopped while starting (exit code ${exitCode})${error ? `: ${error.message}` : ''}`));
      return;
    }
    this.#failAll(new Error('intent worker stopped'));
    const delayMs = this.#restartDelayMs;
    if (!wasReady) this.#restartDelayMs = Math.min(WORKER_RESTART_MAX_DELAY_MS, delayMs * 2);
    this.#logger.error({ err: error, exitCode, restartInMs: delayMs }, 'intent worker stopped; its runs end as no change; restarting');
    this.#restartTimer = setTimeout(() => this.#startWorker(), delayMs);
  }

  /** The first worker never booted: the runner is unusable and `start()` throws. */
  #failStart(error: Error): void {
    this.#closed = true;
    this.#booted?.reject(error);
    this.#booted = undefined;
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    clearTimeout(pending?.deadline);
    return pending;
  }

  #failAll(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.deadline);
      entry.reject(error);
    }
  }

  /** Writes a worker's pino line through this thread's logger, keeping its level and fields. */
  #forwardLog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.#logger.warn('intent worker wrote a log line that is not JSON');
      return;
    }
    const { level, msg, time: _time, ...fields } = entry;
    const message = typeof msg === 'string' ? msg : 'intent worker log';
    const severity = typeof level === 'number' ? level : 30;
    if (severity >= 50) this.#options.logger.error(fields, message);
    else if (severity >= 40) this.#options.logger.warn(fields, message);
    else if (severity >= 30) this.#options.logger.info(fields, message);
    else this.#options.logger.debug(fields, message);
  }
}
