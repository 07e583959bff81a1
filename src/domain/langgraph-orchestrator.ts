/**
 * `LangGraphOrchestrator`: the per-call `AbstractOrchestrator` over the shared compiled intent graph, on the call's
 * own thread (`thread_id` = CallSid). The graph itself runs behind an `IntentRunner` (in the intent worker in
 * production); these rules hold on this side of it whichever runner is used.
 *
 * Concurrency rules (LangGraph loses updates when two invokes overlap on one thread):
 * - runs are serialized: each starts only after the previous one settled;
 * - a newer transcript aborts the run in flight (its AbortSignal reaches the graph and the classifier), and a result
 *   that arrives after its run went stale is dropped;
 * - no turn is lost: a turn whose run was aborted or never started stays pending and is sent again with the next run
 *   (the graph's window reducer ignores turns it already has);
 * - no update is lost: `instruction_update` is computed against the agent the live session was last told about, so
 *   a switch decided by a run whose result was dropped is delivered by the next one.
 */
import type { Logger } from '../logger.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { AgentToolName } from './agent-tools.js';
import { buildInstructions, type InstructionContext } from './instructions.js';
import type { Turn } from './intent-graph.js';
import type { IntentRunner } from './intent-runner.js';
import { AbstractOrchestrator, type OrchestratorInput, type OrchestratorResult } from './orchestrator.js';

/** Options for one call's orchestrator. */
export interface LangGraphOrchestratorOptions {
  readonly callSid: string;
  /** Runs the shared intent graph, on this thread or in the intent worker. */
  readonly runner: IntentRunner;
  readonly catalogue: AgentCatalogue;
  /** The call's logger (a child bound with `callSid`). */
  readonly logger: Logger;
  /** The agent the live session starts with; defaults to the catalogue's default agent. */
  readonly initialAgent?: string | undefined;
  /** Per-call facts passed into every instruction body built for this call (e.g. an outbound call's purpose). */
  readonly instructionParameters?: Readonly<Record<string, string>> | undefined;
  /** The tools the call really has, passed into every instruction body (undefined: all the catalogue grants). */
  readonly availableTools?: readonly AgentToolName[] | undefined;
}

const NO_INTENT = 'none';

/** One call's orchestrator: serialized graph runs, stale-run abort, results through the completion callback. */
export class LangGraphOrchestrator extends AbstractOrchestrator {
  private readonly options: LangGraphOrchestratorOptions;
  private readonly logger: Logger;
  private readonly pending: Turn[] = [];
  /** Item id of the newest invoked turn: a run decides on every pending turn, the newest last. */
  private newestItemId: string | undefined;
  private lastSeq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight: AbortController | undefined;
  /** The agent whose instructions the live session has (initial agent, then every delivered update). */
  private deliveredAgent: string;
  private touched = false;
  private disposed = false;

  constructor(options: LangGraphOrchestratorOptions) {
    super();
    const initial = options.initialAgent ?? options.catalogue.defaultAgent;
    if (!options.catalogue.agentsByName.has(initial)) {
      throw new Error(`Unknown initial agent "${initial}" for catalogue ${options.catalogue.source}`);
    }
    this.options = options;
    this.logger = options.logger;
    this.deliveredAgent = initial;
  }

  /** The agent the live session was last told to be. */
  get activeAgent(): string {
    return this.deliveredAgent;
  }

  override invoke(input: OrchestratorInput): Promise<OrchestratorResult | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    // Monotonic across restarts of the process too: a thread reopened after a restart already holds older seqs.
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now());
    this.pending.push({ seq: this.lastSeq, text: input.transcript });
    this.newestItemId = input.itemId;
    this.inFlight?.abort(new Error('superseded by a newer transcript'));
    const controller = new AbortController();
    this.inFlight = controller;
    const run = this.queue.then(() => this.run(controller));
    this.queue = run;
    return run;
  }

  override async dispose(): Promise<void> {
    this.disposed = true;
    this.inFlight?.abort(new Error('call ended'));
    await this.queue;
  }

  private async run(controller: AbortController): Promise<OrchestratorResult | undefined> {
    const { signal } = controller;
    // Superseded before it started: its turn is still pending and goes with the newer run.
    if (signal.aborted || this.disposed) return undefined;
    const turns = [...this.pending];
    const itemId = this.newestItemId;
    const { callSid, runner } = this.options;
    let state;
    try {
      if (!this.touched) {
        await runner.touchThread(callSid);
        this.touched = true;
      }
      state = await runner.run({ threadId: callSid, input: { window: turns, initialAgent: this.deliveredAgent } }, signal);
    } catch (error) {
      if (!signal.aborted) this.logger.warn({ err: error }, 'orchestrator run failed; no change');
      return undefined;
    }
    // The run committed these turns to the thread; newer ones that arrived meanwhile stay pending.
    const committed = new Set(turns.map((turn) => turn.seq));
    this.pending.splice(0, this.pending.length, ...this.pending.filter((turn) => !committed.has(turn.seq)));
    if (signal.aborted || this.disposed) {
      this.logger.debug({ outcome: state.outcome }, 'orchestrator result dropped as stale');
      return undefined;
    }
    if (this.inFlight === controller) this.inFlight = undefined;
    if (state.outcome === 'skipped') return undefined;

    const agent = state.activeAgent ?? this.deliveredAgent;
    let instructionUpdate: string | undefined;
    if (agent !== this.deliveredAgent) {
      const context: InstructionContext = {
        previousAgent: this.deliveredAgent,
        intent: state.intent ?? undefined,
        parameters: this.options.instructionParameters,
        availableTools: this.options.availableTools,
      };
      instructionUpdate = buildInstructions(this.options.catalogue, agent, context);
      this.logger.info({ agent, previousAgent: this.deliveredAgent, intent: state.intent }, 'agent switched');
      this.deliveredAgent = agent;
    }
    const result: OrchestratorResult = {
      intent: state.intent ?? NO_INTENT,
      confidence: state.confidence,
      agent,
      instruction_update: instructionUpdate,
      ...(itemId === undefined ? {} : { itemId }),
    };
    try {
      await this.notifyCompletion(result);
    } catch (error) {
      this.logger.warn({ err: error }, 'orchestrator completion callback failed');
    }
    return result;
  }
}
