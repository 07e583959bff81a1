/**
 * A minimal `AbstractOrchestrator` for service tests: records every invocation and answers with a scripted result
 * through the completion callback, optionally only when the test releases it.
 */
import { AbstractOrchestrator, type OrchestratorInput, type OrchestratorResult } from '../../src/domain/orchestrator.js';

/** Decides the result of one invocation; undefined means "no change". */
export type Decide = (input: OrchestratorInput) => OrchestratorResult | undefined;

/** Records invocations; `hold` keeps every run pending until `release()`. */
export class TestOrchestrator extends AbstractOrchestrator {
  readonly invocations: OrchestratorInput[] = [];
  disposed = false;
  private readonly decide: Decide;
  private readonly held: Array<() => void> = [];
  private readonly hold: boolean;

  constructor(decide: Decide = () => undefined, options: { hold?: boolean } = {}) {
    super();
    this.decide = decide;
    this.hold = options.hold ?? false;
  }

  async invoke(input: OrchestratorInput): Promise<OrchestratorResult | undefined> {
    this.invocations.push(input);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const decided = this.decide(input);
    // Like LangGraphOrchestrator: a result names the turn it decided on.
    const result = decided && decided.itemId === undefined && input.itemId !== undefined ? { ...decided, itemId: input.itemId } : decided;
    if (result) await this.notifyCompletion(result);
    return result;
  }

  /** Lets every held run finish. */
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.release();
  }
}
