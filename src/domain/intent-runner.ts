/**
 * The seam between a call's orchestrator and the compiled intent graph: run one caller turn on a thread, and record
 * a thread's use. `LangGraphOrchestrator` keeps the per-call rules (serialized runs, stale-run abort, no lost turn or
 * update); a runner only executes. The graph runs either on this thread (`createInThreadRunner`) or in a worker
 * thread (`WorkerIntentRunner`), so the graph's CPU never holds the audio of every call on the main event loop.
 */
import type { IntentGraph, IntentGraphInput, IntentGraphState } from './intent-graph.js';

/** The orchestrator's view of the checkpoint store: it records the thread's use on the call's first run. */
export interface ThreadRegistry {
  touchThread(threadId: string): Promise<void>;
}

/** One run: the turns to add to the thread's window and the agent a new thread starts on. */
export interface IntentRunRequest {
  /** LangGraph thread id (the CallSid). */
  readonly threadId: string;
  readonly input: IntentGraphInput;
}

/** What the orchestrator reads of a finished run's state. */
export type IntentRunOutcome = Pick<IntentGraphState, 'outcome' | 'activeAgent' | 'intent' | 'confidence'>;

/**
 * Runs the intent graph for one caller turn. Resolves with the run's outcome once the thread's checkpoint is
 * written; rejects when the run failed or was aborted through `signal`, and only after the run stopped touching the
 * thread, so the next run on the same thread never overlaps it.
 */
export interface IntentRunner extends ThreadRegistry {
  run(request: IntentRunRequest, signal: AbortSignal): Promise<IntentRunOutcome>;
}

/** Runs the compiled graph on the calling thread (tests, debugging, and inside the intent worker itself). */
export function createInThreadRunner(graph: IntentGraph, threads: ThreadRegistry): IntentRunner {
  return {
    touchThread: (threadId) => threads.touchThread(threadId),
    async run({ threadId, input }, signal) {
      // `exit` durability: one checkpoint per run instead of one per step; an aborted run still saves what it reached.
      const config = { configurable: { thread_id: threadId }, signal, durability: 'exit' as const };
      const state = await graph.invoke({ window: input.window, initialAgent: input.initialAgent }, config);
      return { outcome: state.outcome, activeAgent: state.activeAgent, intent: state.intent, confidence: state.confidence };
    },
  };
}
