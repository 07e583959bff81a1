/**
 * The domain layer's seam (seed: `AbstractOrchestrator`). One orchestrator instance runs beside one call: the
 * service hands it every final user transcript through `invoke()` without awaiting it, and the orchestrator reports
 * each finished run through the completion callback. The service applies `instruction_update` to the live Realtime
 * session; the orchestrator never touches audio.
 */

/** What the service gives the orchestrator for one caller turn. */
export interface OrchestratorInput {
  /** Twilio CallSid; also the LangGraph thread id. */
  readonly callSid: string;
  /** Final transcript of the caller's turn (or a DTMF notice such as "caller pressed 1"). */
  readonly transcript: string;
  /** Realtime conversation item the transcript belongs to, when known. */
  readonly itemId?: string | undefined;
  /** Seed's `agent_type`: which kind of agent the result is for. */
  readonly agentType: 'realtime' | 'chat';
}

/** One finished orchestrator run. `instruction_update` is set only when the active agent changes. */
export interface OrchestratorResult {
  readonly intent: string;
  readonly confidence: number;
  /** Catalogue name of the agent that should be active after this turn. */
  readonly agent: string;
  /** Full instructions for the live session when the agent changed; undefined means "no change". */
  readonly instruction_update?: string | undefined;
  /** The newest caller turn this run decided on (`OrchestratorInput.itemId`), when known. */
  readonly itemId?: string | undefined;
}

/** Receives every completed run; may be async (the service awaits its own session update inside). */
export type OrchestratorCallback = (result: OrchestratorResult) => void | Promise<void>;

/** Seed's orchestrator interface: `invoke`, `setCallback`, and a protected completion notification. */
export abstract class AbstractOrchestrator {
  private callback: OrchestratorCallback | undefined;

  /**
   * Runs the graph for one caller turn. Resolves with the run's result, or undefined when the turn was skipped
   * (filler, too short) or superseded by a newer transcript. Never rejects: failures mean "no change".
   */
  abstract invoke(input: OrchestratorInput): Promise<OrchestratorResult | undefined>;

  /** Aborts any run in flight and drops late results; called once when the call ends. */
  abstract dispose(): Promise<void>;

  /** Sets the completion callback (seed: `set_callback`). */
  setCallback(callback: OrchestratorCallback): void {
    this.callback = callback;
  }

  /** Delivers a result to the service (seed: `_notify_completion`); errors in the callback are the service's. */
  protected async notifyCompletion(result: OrchestratorResult): Promise<void> {
    if (this.callback) await this.callback(result);
  }
}
