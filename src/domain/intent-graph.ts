/**
 * The intent graph: one compiled LangGraph `StateGraph` per process, shared by every call; each call is a thread
 * (`thread_id` = CallSid) in the checkpointer. One invoke = one caller turn:
 *
 *   START → ingest ─(filler)→ END
 *                  └→ classify → route → END
 *
 * State stays small: a bounded window of turns, the intent, confidence, active agent (a catalogue key, never an
 * instruction body), the hysteresis candidate, and the per-turn outputs that `ingest` resets on every turn.
 */
import { END, START, Overwrite, ReducedValue, StateGraph, StateSchema, type BaseCheckpointSaver } from '@langchain/langgraph';
import { z } from 'zod';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { DEFAULT_ROUTING_POLICY, decideRoute, type RoutingPolicy } from './routing-policy.js';
import { isFillerTurn } from './turn-filter.js';

/** How many caller turns the window keeps (older turns fall out; the classifier looks mostly at the last ones). */
export const TRANSCRIPT_WINDOW_TURNS = 6;

const TurnSchema = z.object({ seq: z.number().int().nonnegative(), text: z.string() });
/**
 * One caller turn; `seq` (monotonic per call, e.g. ms since epoch) orders turns and makes re-sent turns idempotent.
 */
export type Turn = z.infer<typeof TurnSchema>;

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

/** The graph's state schema (LangGraph `StateSchema` over zod fields). */
export const IntentState = new StateSchema({
  /** The last caller turns (bounded); the input of a run is the turns to add. */
  window: new ReducedValue(z.array(TurnSchema).default(() => []), {
    inputSchema: z.array(TurnSchema),
    reducer: appendTurns,
  }),
  /** Agent a new thread starts on (input; the catalogue default unless an outbound call chose another). */
  initialAgent: z.string().nullable().default(null),
  intent: z.string().nullable().default(null),
  confidence: z.number().default(0),
  activeAgent: z.string().nullable().default(null),
  previousAgent: z.string().nullable().default(null),
  candidateAgent: z.string().nullable().default(null),
  candidateStreak: z.number().default(0),
  /** Per turn: the classifier's answer for this turn. */
  classification: z.object({ intent: z.string(), confidence: z.number() }).nullable().default(null),
  /** Per turn: the agent whose instructions must be pushed to the live session now; null = no change. */
  agentUpdate: z.string().nullable().default(null),
  /** Per turn: what happened to the newest turn. */
  outcome: z.enum(['skipped', 'unclassified', 'stay', 'pending', 'switch']).default('skipped'),
});

/** The graph state as nodes and callers see it. */
export type IntentGraphState = typeof IntentState.State;
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
    .addNode('ingest', async function ingest(state) {
      await yieldToIo();
      const newest = state.window.at(-1);
      const skipped = newest === undefined || isFillerTurn(newest.text);
      return {
        // The reducer already appended the run's turns; drop fillers so they never reach a classifier.
        window: new Overwrite(state.window.filter((turn) => !isFillerTurn(turn.text))),
        activeAgent: state.activeAgent ?? state.initialAgent ?? catalogue.defaultAgent,
        classification: null,
        agentUpdate: null,
        outcome: skipped ? ('skipped' as const) : ('unclassified' as const),
      };
    })
    .addNode('classify', async function classify(state, config) {
      await yieldToIo();
      const signal = config.signal ?? new AbortController().signal;
      const transcriptWindow = state.window.map((turn) => turn.text);
      const answer = await classifier.classify({ transcriptWindow, currentIntent: state.intent ?? undefined }, signal);
      signal.throwIfAborted();
      const known = answer && catalogue.agentByIntent.has(answer.intent);
      return { classification: known ? { intent: answer.intent, confidence: clamp01(answer.confidence) } : null };
    })
    .addNode('route', async function route(state) {
      await yieldToIo();
      const activeAgent = state.activeAgent ?? catalogue.defaultAgent;
      const { classification } = state;
      if (!classification) return { outcome: 'unclassified' as const, candidateAgent: null, candidateStreak: 0 };
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
    .addEdge(START, 'ingest')
    .addConditionalEdges('ingest', (state) => (state.outcome === 'skipped' ? END : 'classify'), ['classify', END])
    .addEdge('classify', 'route')
    .addEdge('route', END)
    .compile({ checkpointer: options.checkpointer, name: 'intent' });
}

/** The compiled intent graph type. */
export type IntentGraph = ReturnType<typeof compileIntentGraph>;

/**
 * Lets pending socket I/O run before the next stretch of graph work. A LangGraph run is one long promise chain
 * (checkpoint reads and writes, channel bookkeeping, tracing scaffolding) that never returns to the event loop on its
 * own; on a server carrying many calls that held every call's audio frames for tens of milliseconds per turn.
 */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
