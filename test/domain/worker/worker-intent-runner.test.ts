import { describe, expect, it } from 'vitest';
import type { IntentRunOutcome } from '../../../src/domain/intent-runner.js';
import type { FromIntentWorker, IntentWorkerData, ToIntentWorker } from '../../../src/domain/worker/intent-worker-protocol.js';
import type { IntentWorkerEvents, IntentWorkerHandle, SpawnIntentWorker } from '../../../src/domain/worker/spawn-intent-worker.js';
import { WorkerIntentRunner } from '../../../src/domain/worker/worker-intent-runner.js';
import { recordingLogger } from '../helpers.js';

/** A worker thread stand-in: records what the runner posts and lets the test answer, crash or exit it. */
class FakeWorker implements IntentWorkerHandle {
  readonly posted: ToIntentWorker[] = [];
  terminated = false;
  constructor(private readonly events: IntentWorkerEvents) {}
  post(message: ToIntentWorker): void {
    this.posted.push(message);
    // A real worker ends once `close` released its store.
    if (message.type === 'close') queueMicrotask(() => this.events.onExit(0, undefined));
  }
  async terminate(): Promise<void> {
    this.terminated = true;
    this.events.onExit(1, undefined);
  }
  answer(message: FromIntentWorker): void {
    this.events.onMessage(message);
  }
  crash(error: Error): void {
    this.events.onExit(1, error);
  }
  lastRun(): Extract<ToIntentWorker, { type: 'run' }> {
    const runs = this.posted.filter((message) => message.type === 'run');
    const last = runs.at(-1);
    if (!last) throw new Error('no run posted');
    return last;
  }
}

/** Spawns fake workers; each one boots at once unless `boot` says otherwise. */
function fakeSpawner(boot: (worker: FakeWorker) => void = (worker) => worker.answer({ type: 'ready' })) {
  const workers: FakeWorker[] = [];
  const data: IntentWorkerData[] = [];
  const spawn: SpawnIntentWorker = (workerData, events) => {
    const worker = new FakeWorker(events);
    workers.push(worker);
    data.push(workerData);
    queueMicrotask(() => boot(worker));
    return worker;
  };
  return { spawn, workers, data };
}

const WORKER_DATA: IntentWorkerData = {
  catalogue: { data: { version: 1, business: { name: 'Test' }, style: 'Be brief.', defaultAgent: 'front_desk', sameTurnSwitch: { enabled: true, maxHeardMs: 0 }, agents: [] }, source: 'test' },
  classifier: { classifier: 'keyword', openai: { apiKey: undefined, baseUrl: undefined, chatModel: 'gpt-test' } },
  store: { dataDir: '/tmp/unused', databaseUrl: undefined },
  logLevel: 'debug',
};

const OUTCOME: IntentRunOutcome = { outcome: 'switch', activeAgent: 'billing', intent: 'bill_explanation', confidence: 0.8 };
const REQUEST = { threadId: 'CA-1', input: { window: [{ seq: 1, text: 'why is my bill so high' }], initialAgent: 'front_desk' } };

async function flush(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('WorkerIntentRunner', () => {
  it('posts a run with its thread and turns, and resolves with the outcome the worker reports', async () => {
    const { spawn, workers, data } = fakeSpawner();
    const runner = await WorkerIntentRunner.start({ data: WORKER_DATA, logger: recordingLogger().logger, spawn });
    expect(data).toEqual([WORKER_DATA]);
    const result = runner.run(REQUEST, new AbortController().signal);
    const worker = workers[0]!;
    const run = worker.lastRun();
    expect(run).toEqual({ type: 'run', id: run.id, threadId: 'CA-1', input: REQUEST.input });
    worker.answer({ type: 'done', id: run.id, outcome: OUTCOME });
    expect(await result).toEqual(OUTCOME);

    const touched = runner.touchThread('CA-1');
    const touch = worker.posted.at(-1);
    expect(touch).toMatchObject({ type: 'touch', threadId: 'CA-1' });
    worker.answer({ type: 'done', id: (touch as { id: number }).id });
    await expect(touched).resolves.toBeUndefined();
    await runner.close();
  });

  it('sends an abort naming the run, and settles the run only when the worker says it stopped', async () => {
    const { spawn, workers } = fakeSpawner();
    const runner = await WorkerIntentRunner.start({ data: WORKER_DATA, logger: recordingLogger().logger, spawn });
    const controller = new AbortController();
    let settled = false;
    const result = runner.run(REQUEST, controller.signal).finally(() => {
      settled = true;
    });
    result.catch(() => {});
    const worker = workers[0]!;
    const { id } = worker.lastRun();
    controller.abort(new Error('superseded'));
    expect(worker.posted.at(-1)).toEqual({ type: 'abort', id });
    await flush();
    expect(settled).toBe(false);
    worker.answer({ type: 'failed', id, message: 'superseded' });
    await expect(result).rejects.toThrow('superseded');
    await runner.close();
  });

  it('fails the runs of a crashed worker, logs the crash as an error, and starts a new worker that takes new runs', async () => {
    const { spawn, workers } = fakeSpawner();
    const { logger, lines } = recordingLogger();
    const runner = await WorkerIntentRunner.start({ data: WORKER_DATA, logger, spawn, restartDelayMs: 1 });
    const inFlight = runner.run(REQUEST, new AbortController().signal);
    workers[0]!.crash(new Error('out of memory'));
    await expect(inFlight).rejects.toThrow('intent worker stopped');
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'intent worker stopped; its runs end as no change; restarting' }));
    await expect(runner.run(REQUEST, new AbortController().signal)).rejects.toThrow('intent worker is restarting');

    while (workers.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    const next = runner.run(REQUEST, new AbortController().signal);
    const fresh = workers[1]!;
    fresh.answer({ type: 'done', id: fresh.lastRun().id, outcome: OUTCOME });
    expect(await next).toEqual(OUTCOME);
    await runner.close();
  });

  it('throws a readable error when the worker cannot boot, and leaves no worker running', async () => {
    const { spawn, workers } = fakeSpawner((worker) => worker.answer({ type: 'boot-failed', message: 'Cannot open the checkpoint database /x' }));
    await expect(WorkerIntentRunner.start({ data: WORKER_DATA, logger: recordingLogger().logger, spawn })).rejects.toThrow(
      'Intent worker failed to start: Cannot open the checkpoint database /x',
    );
    expect(workers[0]?.terminated).toBe(true);
    expect(workers).toHaveLength(1);
  });

  it("writes the worker's log lines through the main logger with their level and fields", async () => {
    const { spawn, workers } = fakeSpawner();
    const { logger, lines } = recordingLogger();
    const runner = await WorkerIntentRunner.start({ data: WORKER_DATA, logger, spawn });
    workers[0]!.answer({ type: 'log', line: JSON.stringify({ level: 40, time: 1, component: 'classifier', msg: 'chat request timed out; no change' }) });
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, component: 'classifier', msg: 'chat request timed out; no change' }));
    await runner.close();
  });

  it('asks the worker to close, fails what is still in flight, and refuses runs afterwards', async () => {
    const { spawn, workers } = fakeSpawner();
    const runner = await WorkerIntentRunner.start({ data: WORKER_DATA, logger: recordingLogger().logger, spawn });
    const inFlight = runner.run(REQUEST, new AbortController().signal);
    inFlight.catch(() => {});
    await runner.close();
    expect(workers[0]!.posted.at(-1)).toEqual({ type: 'close' });
    await expect(inFlight).rejects.toThrow('intent worker closed');
    await expect(runner.run(REQUEST, new AbortController().signal)).rejects.toThrow('intent worker closed');
  });
});

describe('WorkerIntentRunner watchdog', () => {
  it('terminates a worker that does not answer in time; the run ends as an error and a new worker starts', async () => {
    const { spawn, workers } = fakeSpawner();
    const { logger, lines } = recordingLogger();
    const runner = await WorkerIntentRunner.start({ data: WORKER_DATA, logger, spawn, restartDelayMs: 1, answerDeadlineMs: 20 });
    await expect(runner.run(REQUEST, new AbortController().signal)).rejects.toThrow('intent worker stopped');
    expect(workers[0]?.terminated).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'intent worker did not answer in time; terminating it' }));
    while (workers.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    await runner.close();
  });
});
