/**
 * Where this instance is in its life: serving, draining (the signal came: `/readyz` says 503 so the balancer stops
 * sending new calls, but the Twilio routes still answer for the grace period), or refusing (new calls get 503 and
 * go to the balancer's other instances; live calls, their media streams and their callbacks go on).
 */

/** The instance's phase; it only moves forward. */
export type DrainPhase = 'serving' | 'draining' | 'refusing';

/** Shared by the routes (which read it) and the drain (which moves it). */
export class DrainState {
  #phase: DrainPhase = 'serving';

  get phase(): DrainPhase {
    return this.#phase;
  }

  /** False from the signal on: `/readyz` answers 503. */
  get ready(): boolean {
    return this.#phase === 'serving';
  }

  /** False once the grace period is over: the voice webhook and `POST /calls` answer 503. */
  get acceptsNewCalls(): boolean {
    return this.#phase !== 'refusing';
  }

  /** The signal came. */
  beginDrain(): void {
    if (this.#phase === 'serving') this.#phase = 'draining';
  }

  /** The grace period is over. */
  refuseNewCalls(): void {
    this.#phase = 'refusing';
  }
}
