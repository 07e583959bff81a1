/**
 * Compares what a replayed call produced with what its fixture header promises (`expect`), as a list of readable
 * mismatches: empty means the replay did what the recorded call did. The Twilio-side facts come from the simulated
 * caller's result; server-side facts (intent changes, truncations, digits seen) are passed in by the test or demo
 * that observed them.
 */
import type { FixtureExpect } from '../../src/fixtures/call-fixture.js';
import type { SimCallResult } from './sim-caller.js';

/** What a replay produced. Leave a server-side field undefined when it was not observed; it is then not checked. */
export interface ReplayObservation {
  readonly result: Pick<SimCallResult, 'clears' | 'dtmfSent' | 'endedBy' | 'closeCode' | 'violations'>;
  /** Intent changes the orchestrator reported, in order. */
  readonly intents?: readonly string[];
  /** Agents the call switched to, in order. */
  readonly agents?: readonly string[];
  /** DTMF digits the server received, in order. */
  readonly dtmfDigits?: string;
  /** `conversation.item.truncate` events the Realtime side received. */
  readonly truncations?: number;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Every way the replay differs from `expect`; the empty list means it matched. */
export function replayMismatches(expect: FixtureExpect, observed: ReplayObservation): string[] {
  const { result } = observed;
  const out: string[] = [];
  if (expect.intents !== undefined && observed.intents !== undefined && !sameList(expect.intents, observed.intents)) {
    out.push(`intents: expected [${expect.intents.join(', ')}], got [${observed.intents.join(', ')}]`);
  }
  if (expect.agents !== undefined && observed.agents !== undefined && !sameList(expect.agents, observed.agents)) {
    out.push(`agents: expected [${expect.agents.join(', ')}], got [${observed.agents.join(', ')}]`);
  }
  if (expect.dtmf_digits !== undefined) {
    const seen = observed.dtmfDigits ?? result.dtmfSent;
    if (seen !== expect.dtmf_digits) out.push(`dtmf: expected "${expect.dtmf_digits}", got "${seen}"`);
  }
  if (expect.barge_in === true) {
    if (result.clears.length === 0) out.push('barge-in: expected a clear, the server sent none');
    if (observed.truncations !== undefined && observed.truncations === 0) out.push('barge-in: expected a truncate, none was sent');
  }
  if (expect.barge_in === false && result.clears.length > 0) out.push(`barge-in: expected none, the server sent ${result.clears.length} clear(s)`);
  const endedBy = expect.ended_by ?? (expect.hangup_mid_utterance ? 'caller' : undefined);
  if (endedBy !== undefined && result.endedBy !== endedBy) out.push(`ended by: expected ${endedBy}, got ${result.endedBy}`);
  if (result.closeCode === undefined) out.push('teardown: the media socket never closed');
  for (const violation of result.violations) out.push(`protocol: ${violation}`);
  return out;
}
