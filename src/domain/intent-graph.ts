/**
 * The intent graph: one compiled LangGraph `StateGraph` per process, shared by every call; each call is a thread
 * (`thread_id` = CallSid) in the checkpointer. One invoke = one caller turn, through one node:
 *
 *   START → turn (ingest → [skip fillers] → classify → route) → END
 *
 * The three steps are one node on purpose: every LangGraph node costs a superstep (task preparation, channel writes,
 * a `RunTree` per runnable, in-memory checkpoint bookkeeping) whether or not tracing is on; as three nodes a turn
 * cost ~1.4 ms more CPU for the same result. State uses plain channels (`Annotation`) rather than zod-validated
 * `StateSchema` fields: only this file writes the state, and validating every update cost another ~0.3 ms a turn.
 *
 * State stays small: a bounded window of turns, the intent, confidence, active agent (a catalogue key, never an
 * instruction body), the hysteresis candidate, and the per-turn outputs that every turn resets.
 */
import { Annotation, END, START, Overwrite, StateGraph, type BaseCheckpointSaver } from '@langchain/langgraph';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { DEFAULT_ROUTING_POLICY, decideRoute, type RoutingPolicy } from './routing-policy.js';
import { isFillerTurn } from './turn-filter.js';

/** How many caller turns the window keeps (older turns fall out; the classifier looks mostly at the last ones). */
export const TRANSCRIPT_WINDOW_TURNS = 6;

/**
 * One caller turn; `seq` (monotonic per call, e.g. ms since epoch) orders turns and makes re-sent turns idempotent.
 */
export interface Turn {
  readonly seq: number;
  readonly text: string;
}

/**
 * Appends turns newer than the newest already in the window and keeps the last `TRANSCRIPT_WINDOW_TURNS`.
 * Idempotent: a turn re-sent after an aborted run is not added twice.
 */
export function appendTurns(window: readonly Turn[], incoming: readonly Turn[]): Turn[] {
  let newest = window.at(-1)?.seq ?? -1;
  const next = [...window];
  for (const turn of [...incoming].sort((a, b) => a.seq - b.seq)) {
    if (turn.seq > newest) {
      next.push(turn);
      newest = turn.seq;
    }
  }
  return next.slice(-TRANSCRIPT_WINDOW_TURNS);
}

/** What happened to the newest turn of a run. */
export type TurnOutcome = 'skipped' | 'unclassified' | 'stay' | 'pending' | 'switch';

/** The graph's state: plain LangGraph channels (last value, or the window reducer); nodes are typed by TypeScript. */
export const IntentState = Annotation.Root({
  /** The last caller turns (bounded); the input of a run is the turns to add. */
  window: Annotation<Turn[], readonly Turn[]>({ reducer: appendTurns, default: () => [] }),
  /** Agent a new thread starts on (input; the catalogue default unless an outbound call chose another). */
  initialAgent: Annotation<string | null>({ reducer: lastValue, default: () => null }),
  intent: Annotation<string | null>({ reducer: lastValue, default: () => null }),
  confidence: Annotation<number>({ reducer: lastValue, default: () => 0 }),
  activeAgent: Annotation<string | null>({ reducer: lastValue, default: () => null }),
  previousAgent: Annotation<string | null>({ reducer: lastValue, default: () => null }),
  candidateAgent: Annotation<string | null>({ reducer: lastValue, default: () => null }),
  candidateStreak: Annotation<number>({ reducer: lastValue, default: () => 0 }),
  /** Per turn: the classifier's answer for this turn. */
  classification: Annotation<{ intent: string; confidence: number } | null>({ reducer: lastValue, default: () => null }),
  /** Per turn: the agent whose instructions must be pushed to the live session now; null = no change. */
  agentUpdate: Annotation<string | null>({ reducer: lastValue, default: () => null }),
  /** Per turn: what happened to the newest turn. */
  outcome: Annotation<TurnOutcome>({ reducer: lastValue, default: () => 'skipped' }),
});

/** Reducer of a plain field: a later write replaces the value (one node writes each field once per step). */
function lastValue<T>(_previous: T, next: T): T {
  return next;
}

/** The graph state as nodes and callers see it. */
export type IntentGraphState = typeof IntentState.State;
/** What the node returns: a partial state (the window as an `Overwrite`). */
type IntentStateUpdate = typeof IntentState.Update;
/** What one run is invoked with. */
export interface IntentGraphInput {
  readonly window: readonly Turn[];
  readonly initialAgent: string;
}

/** Options for {@link compileIntentGraph}. */
export interface IntentGraphOptions {
  readonly catalogue: AgentCatalogue;
  readonly classifier: IntentClassifier;
  readonly checkpointer: BaseCheckpointSaver;
  readonly policy?: RoutingPolicy;
}

/** Builds and compiles the intent graph once; every call's orchestrator invokes this one instance on its own thread. */
export function compileIntentGraph(options: IntentGraphOptions) {
  const { catalogue, classifier } = options;
  const policy = options.policy ?? DEFAULT_ROUTING_POLICY;

  return new StateGraph(IntentState)
    .addNode('turn', async function turn(state, config): Promise<IntentStateUpdate> {
      await yieldToIo();
      // The reducer already appended the run's turns; drop fillers so they never reach a classifier.
      const window = state.window.filter((entry) => !isFillerTurn(entry.text));
      const activeAgent = state.activeAgent ?? state.initialAgent ?? catalogue.defaultAgent;
      const ingested = { window: new Overwrite(window), activeAgent, classification: null, agentUpdate: null };
      const newest = state.window.at(-1);
      if (newest === undefined || isFillerTurn(newest.text)) return { ...ingested, outcome: 'skipped' };

      const signal = config.signal ?? new AbortController().signal;
      const answer = await classifier.classify(
        { transcriptWindow: window.map((entry) => entry.text), currentIntent: state.intent ?? undefined },
        signal,
      );
      signal.throwIfAborted();
      const known = answer && catalogue.agentByIntent.has(answer.intent);
      const classification = known ? { intent: answer.intent, confidence: clamp01(answer.confidence) } : null;
      if (!classification) return { ...ingested, outcome: 'unclassified', candidateAgent: null, candidateStreak: 0 };

      const agent = catalogue.agentByIntent.get(classification.intent) ?? activeAgent;
      const decision = decideRoute(
        {
          activeAgent,
          previousAgent: state.previousAgent,
          candidateAgent: state.candidateAgent,
          candidateStreak: state.candidateStreak,
        },
        { agent, confidence: classification.confidence },
        catalogue.defaultAgent,
        policy,
      );
      // The intent follows the active agent: an intent served by another agent is adopted only when that agent takes over.
      const adopt = decision.activeAgent === agent;
      return {
        ...ingested,
        classification,
        activeAgent: decision.activeAgent,
        previousAgent: decision.previousAgent,
        candidateAgent: decision.candidateAgent,
        candidateStreak: decision.candidateStreak,
        intent: adopt ? classification.intent : state.intent,
        confidence: adopt ? classification.confidence : state.confidence,
        agentUpdate: decision.action === 'switch' ? decision.activeAgent : null,
        outcome: decision.action,
      };
    })
    .addEdge(START, 'turn')
    .addEdge('turn', END)
    .compile({ checkpointer: options.checkpointer, name: 'intent' });
}

/** The compiled intent graph type. */
export type IntentGraph = ReturnType<typeof compileIntentGraph>;

/**
 * Lets pending I/O run before the node's work. A LangGraph run is one long promise chain (checkpoint reads and
 * writes, channel bookkeeping) that never returns to the event loop on its own; on the main thread that held every
 * call's audio, and in the worker it would hold the abort message of a stale run.
 */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
