/**
 * The routing decision after a classification: thresholds plus hysteresis, so the live agent changes only on
 * confident evidence and never flips back and forth. Pure, so every rule is tested without a graph.
 *
 * Rules:
 * - Leaving the default (front-desk) agent needs `enterThreshold`.
 * - Leaving a specialist needs `switchThreshold` in one turn, or `enterThreshold` on `consecutiveTurns` turns in a
 *   row that point at the same other agent.
 * - Going back to the agent the call just left always needs the consecutive turns, however confident.
 * - A turn with no classification, or one that points at the active agent, clears any pending candidate.
 */

/** Tunable thresholds of the routing policy. */
export interface RoutingPolicy {
  /** Confidence needed to leave the default agent. */
  readonly enterThreshold: number;
  /** Confidence needed to leave a specialist in a single turn. */
  readonly switchThreshold: number;
  /** Turns in a row needed to leave a specialist below `switchThreshold` (or to go back to the previous agent). */
  readonly consecutiveTurns: number;
}

/** Defaults tuned on the keyword classifier's calibration (see test/domain/keyword-classifier.test.ts). */
export const DEFAULT_ROUTING_POLICY: RoutingPolicy = Object.freeze({
  enterThreshold: 0.45,
  switchThreshold: 0.75,
  consecutiveTurns: 2,
});

/** The routing facts the decision reads, as kept in graph state. */
export interface RoutingState {
  readonly activeAgent: string;
  readonly previousAgent: string | null;
  readonly candidateAgent: string | null;
  readonly candidateStreak: number;
}

/** What the route step concluded for this turn. */
export interface RoutingDecision {
  /** `switch`: the agent changes now; `pending`: a candidate gathers evidence; `stay`: nothing changes. */
  readonly action: 'switch' | 'pending' | 'stay';
  readonly activeAgent: string;
  readonly previousAgent: string | null;
  readonly candidateAgent: string | null;
  readonly candidateStreak: number;
}

/**
 * Decides whether the call moves to `targetAgent` (the agent serving the classified intent; undefined when the turn
 * gave no classification). `defaultAgent` is the catalogue's front desk.
 */
export function decideRoute(
  state: RoutingState,
  target: { readonly agent: string; readonly confidence: number } | undefined,
  defaultAgent: string,
  policy: RoutingPolicy = DEFAULT_ROUTING_POLICY,
): RoutingDecision {
  const stay: RoutingDecision = {
    action: 'stay',
    activeAgent: state.activeAgent,
    previousAgent: state.previousAgent,
    candidateAgent: null,
    candidateStreak: 0,
  };
  if (!target || target.agent === state.activeAgent || target.confidence < policy.enterThreshold) return stay;

  const streak = state.candidateAgent === target.agent ? state.candidateStreak + 1 : 1;
  const returning = target.agent === state.previousAgent;
  const enough =
    streak >= policy.consecutiveTurns ||
    (!returning && (state.activeAgent === defaultAgent || target.confidence >= policy.switchThreshold));
  if (enough) {
    return {
      action: 'switch',
      activeAgent: target.agent,
      previousAgent: state.activeAgent,
      candidateAgent: null,
      candidateStreak: 0,
    };
  }
  return { ...stay, action: 'pending', candidateAgent: target.agent, candidateStreak: streak };
}
