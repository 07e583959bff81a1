/**
 * Compares a call record with what its fixture header promises, as readable mismatches (empty = it matches):
 * the caller's turns (words and media-clock start), bot turns and their latency, agents and intents, barge-ins,
 * DTMF, the end reason and the usage.
 */
import type { CallFixture } from '../../src/fixtures/call-fixture.js';
import type { CallRecord } from '../../src/records/call-record.js';

/** How far a caller turn's VAD start may sit from the fixture's utterance start (the fake VAD's energy onset). */
export const TURN_START_TOLERANCE_MS = 400;

export function recordMismatches(fixture: CallFixture, record: CallRecord | undefined): string[] {
  if (!record) return ['no record was stored'];
  const { expect, utterances } = fixture.header;
  const out: string[] = [];
  const callerTurns = record.turns.filter((t) => t.speaker === 'caller' && t.text !== null);
  const expected = expect.hangup_mid_utterance ? utterances.slice(0, -1) : utterances;
  const words = callerTurns.map((t) => t.text);
  const wanted = expected.map((u) => u.transcript);
  if (words.slice(0, wanted.length).join('|') !== wanted.join('|')) out.push(`caller turns: expected [${wanted.join(' / ')}], got [${words.join(' / ')}]`);
  expected.forEach((utterance, i) => {
    const turn = callerTurns[i];
    if (turn?.startMs === undefined) return void out.push(`caller turn ${i}: no start on the media clock`);
    if (Math.abs(turn.startMs - utterance.at_ms) > TURN_START_TOLERANCE_MS) out.push(`caller turn ${i}: starts at ${turn.startMs} ms, the fixture at ${utterance.at_ms} ms`);
    if (turn.endMs === undefined || turn.endMs <= turn.startMs) out.push(`caller turn ${i}: no end after its start`);
  });
  const botTurns = record.turns.filter((t) => t.speaker === 'bot');
  const played = botTurns.filter((t) => t.startMs !== undefined);
  // Caller turns that may go unanswered: one the caller talked over before any reply was audible (a barge-in that
  // heard nothing), and the last one of a call the caller ends: with the real model's ~1 s to first audio, a caller
  // who says goodbye and hangs up does not wait for the answer.
  const talkedOver = record.bargeIns.filter((b) => b.itemId === null || b.heardMs === 0).length;
  const hungUpOn = expect.hangup_mid_utterance || expect.ended_by === 'caller' ? 1 : 0;
  const mustAnswer = Math.max(0, expected.length - talkedOver - hungUpOn);
  if (played.length < 1 + mustAnswer) {
    out.push(`bot turns: ${played.length} reached the caller for ${expected.length} caller turns plus the greeting`);
  }
  if (record.firstAudioMs === null || record.firstAudioMs <= 0) out.push(`first audio: ${record.firstAudioMs}`);
  const answers = played.filter((t) => t.latencyMs !== undefined);
  if (answers.length < mustAnswer) out.push(`latency: only ${answers.length} bot turns carry one`);
  for (const t of answers) if ((t.latencyMs ?? -1) < 0 || (t.latencyMs ?? 0) > 5_000) out.push(`latency: ${t.latencyMs} ms is not plausible`);
  if (expect.agents !== undefined) {
    const agents = record.agentSwitches.map((s) => s.to);
    if (agents.join(',') !== expect.agents.join(',')) out.push(`agents: expected [${expect.agents.join(', ')}], got [${agents.join(', ')}]`);
    if (record.agents.final !== (expect.agents.at(-1) ?? record.agents.initial)) out.push(`final agent: ${record.agents.final}`);
  }
  if (expect.intents !== undefined) {
    const intents = record.agentSwitches.map((s) => s.intent ?? '');
    if (intents.join(',') !== expect.intents.join(',')) out.push(`intents: expected [${expect.intents.join(', ')}], got [${intents.join(', ')}]`);
    for (const s of record.agentSwitches) if (s.confidence === null || s.confidence <= 0) out.push(`switch to ${s.to}: no confidence`);
  }
  if (expect.barge_in === true) {
    if (record.bargeIns.length === 0) out.push('barge-in: none recorded');
    const interrupted = botTurns.filter((t) => t.speaker === 'bot' && t.interrupted);
    // A barge-in on audio the caller was hearing cuts that bot turn; one before any audio cuts nothing audible.
    const heardBargeIns = record.bargeIns.filter((b) => b.itemId !== null && (b.heardMs ?? 0) > 0);
    for (const b of heardBargeIns) if (!interrupted.some((t) => t.itemId === b.itemId)) out.push(`barge-in: bot turn ${b.itemId} not marked interrupted`);
    for (const t of interrupted) if (t.speaker === 'bot' && !(t.heardMs >= 0)) out.push(`barge-in: turn ${t.itemId} heard ${t.heardMs} ms`);
  }
  if (expect.barge_in === false && record.bargeIns.length > 0) out.push(`barge-in: expected none, recorded ${record.bargeIns.length}`);
  if (expect.dtmf_digits !== undefined) {
    const digits = record.dtmf.map((d) => d.digit ?? '•').join('');
    if (digits !== expect.dtmf_digits) out.push(`dtmf: expected "${expect.dtmf_digits}", got "${digits}"`);
  }
  const endedBy = expect.ended_by ?? (expect.hangup_mid_utterance ? 'caller' : undefined);
  if (endedBy === 'caller' && record.endReason !== 'twilio_stop') out.push(`end reason: ${record.endReason} for a caller hang-up`);
  if (record.endedAt === null || record.durationMs === null || record.durationMs <= 0) out.push('the record was not finalised');
  if (record.usage.responses < played.length) out.push(`usage: ${record.usage.responses} responses for ${played.length} bot turns`);
  if (record.usage.tokens.outputAudioTokens <= 0) out.push('usage: no output audio tokens');
  if (record.stream === null || record.stream.inboundFrames <= 0 || record.stream.marksEchoed <= 0) out.push('stream stats missing');
  return out;
}
