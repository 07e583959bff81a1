/**
 * Compares what a replayed call produced with what its fixture header promises (`expect`), as a list of readable
 * mismatches: empty means the replay did what the recorded call did. The Twilio-side facts come from the simulated
 * caller's result; server-side facts (intent changes, truncations, digits that reached the model) are passed in by
 * the test or demo that observed them. A promised fact that was not observed is a mismatch, never a pass.
 */
import type { FixtureExpect, FixtureLine } from '../../src/fixtures/call-fixture.js';
import type { SimCallResult } from './sim-caller.js';

/** What a replay produced. */
export interface ReplayObservation {
  readonly result: Pick<SimCallResult, 'clears' | 'dtmfSent' | 'endedBy' | 'closeCode' | 'violations'>;
  /** Intent changes the orchestrator reported, in order. */
  readonly intents?: readonly string[];
  /** Agents the call switched to, in order. */
  readonly agents?: readonly string[];
  /** DTMF digits that reached the model (decoded from its keypad messages), in order. */
  readonly dtmfDigits?: string;
  /** Barge-ins the server handled (call summary); defaults to the clears the caller received. */
  readonly bargeIns?: number;
  /** `conversation.item.truncate` events the Realtime side received. */
  readonly truncations?: number;
  /** Replies the server re-routed to a new agent in the same turn. */
  readonly reroutes?: number;
  /** Milliseconds of a re-routed (replaced) reply the caller heard: mark echoes of its audio, not flushed. */
  readonly reroutedHeardMs?: number;
  /** The fixture's message lines (what the caller sent): header facts about the audio are checked against them. */
  readonly inbound?: readonly FixtureLine[];
  /** Milliseconds of caller audio the model received (`input_audio_buffer.append`). */
  readonly appendedMs?: number;
}

/** Frames lost at teardown (queued behind the caller's `stop`) that a replay may miss without being wrong. */
const TEARDOWN_FRAMES = 10;

/** Arrival spread (max − min of `t_ms − media.timestamp`) that counts as late frames. */
const LATE_SPREAD_MS = 100;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Inbound media frames of a fixture, in order. */
function mediaFrames(lines: readonly FixtureLine[]): Array<{ readonly t: number; readonly timestamp: number; readonly payload: string }> {
  return lines.flatMap((line) => {
    const media = line.msg.media as { timestamp?: unknown; payload?: unknown } | undefined;
    if (line.dir !== 'in' || line.msg.event !== 'media' || media === undefined) return [];
    return [{ t: line.t_ms, timestamp: Number(media.timestamp), payload: String(media.payload) }];
  });
}

/** A 20 ms μ-law frame of digital silence (0xFF or 0x7F, both zero) or near it (|sample| ≤ 1 step). */
function isSilentFrame(payload: string): boolean {
  for (const byte of Buffer.from(payload, 'base64')) if ((byte & 0x7f) < 0x7e) return false;
  return true;
}

/** The longest run of silent inbound frames, in ms of media time. */
export function longestInboundSilenceMs(lines: readonly FixtureLine[]): number {
  let longest = 0;
  let run = 0;
  for (const frame of mediaFrames(lines)) {
    run = isSilentFrame(frame.payload) ? run + 20 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** Arrival jitter facts: spread of `t_ms − timestamp`, whether the media clock steps by 20 ms, and bursts seen. */
export function arrivalStats(lines: readonly FixtureLine[]): { spreadMs: number; regularTimestamps: boolean; bursts: number } {
  const frames = mediaFrames(lines);
  let min = Infinity;
  let max = -Infinity;
  let regular = true;
  let bursts = 0;
  frames.forEach((frame, i) => {
    const lag = frame.t - frame.timestamp;
    min = Math.min(min, lag);
    max = Math.max(max, lag);
    const previous = frames[i - 1];
    if (previous !== undefined) {
      if (frame.timestamp - previous.timestamp !== 20) regular = false;
      if (frame.t - previous.t <= 2) bursts += 1;
    }
  });
  return { spreadMs: frames.length > 0 ? max - min : 0, regularTimestamps: regular, bursts };
}

/** Every way the replay differs from `expect`; the empty list means it matched. */
export function replayMismatches(expect: FixtureExpect, observed: ReplayObservation): string[] {
  const { result } = observed;
  const out: string[] = [];
  const unobserved = (fact: string): void => void out.push(`${fact}: promised by the header but not observed by this replay`);
  if (expect.intents !== undefined && observed.intents !== undefined && !sameList(expect.intents, observed.intents)) {
    out.push(`intents: expected [${expect.intents.join(', ')}], got [${observed.intents.join(', ')}]`);
  }
  if (expect.agents !== undefined && observed.agents !== undefined && !sameList(expect.agents, observed.agents)) {
    out.push(`agents: expected [${expect.agents.join(', ')}], got [${observed.agents.join(', ')}]`);
  }
  if (expect.dtmf_digits !== undefined) {
    if (observed.dtmfDigits === undefined) unobserved('dtmf');
    else if (observed.dtmfDigits !== expect.dtmf_digits) out.push(`dtmf: expected "${expect.dtmf_digits}" at the model, got "${observed.dtmfDigits}"`);
  }
  const bargeIns = observed.bargeIns ?? result.clears.length;
  if (expect.barge_in === true) {
    if (result.clears.length === 0 || bargeIns === 0) out.push('barge-in: expected a clear, the server sent none');
    if ((expect.truncated ?? true) && observed.truncations !== undefined && observed.truncations === 0) out.push('barge-in: expected a truncate, none was sent');
  }
  if (expect.truncated === false && observed.truncations !== undefined && observed.truncations > 0) {
    out.push(`truncate: expected none, the server sent ${observed.truncations}`);
  }
  if (expect.barge_in === false && bargeIns > 0) out.push(`barge-in: expected none, the server sent ${bargeIns} clear(s)`);
  if (expect.reroutes !== undefined) {
    if (observed.reroutes === undefined) unobserved('reroutes');
    else if (observed.reroutes !== expect.reroutes) out.push(`reroutes: expected ${expect.reroutes}, got ${observed.reroutes}`);
  }
  if ((observed.reroutedHeardMs ?? 0) > 0) out.push(`reroutes: the caller heard ${observed.reroutedHeardMs} ms of a replaced reply`);
  if (expect.min_silence_ms !== undefined) {
    if (observed.inbound === undefined) unobserved('min_silence_ms');
    else {
      const longest = longestInboundSilenceMs(observed.inbound);
      if (longest < expect.min_silence_ms) out.push(`silence: expected a stretch of at least ${expect.min_silence_ms} ms, the longest is ${longest} ms`);
    }
  }
  if (expect.late_frames !== undefined) {
    if (observed.inbound === undefined || observed.appendedMs === undefined) unobserved('late_frames');
    else {
      const stats = arrivalStats(observed.inbound);
      const late = stats.spreadMs >= LATE_SPREAD_MS && stats.bursts > 0;
      if (late !== expect.late_frames) out.push(`late frames: expected ${expect.late_frames}, arrival spread ${stats.spreadMs} ms with ${stats.bursts} burst frame(s)`);
      if (!stats.regularTimestamps) out.push('late frames: media timestamps do not step by 20 ms');
      const sentMs = mediaFrames(observed.inbound).length * 20;
      if (observed.appendedMs < sentMs - TEARDOWN_FRAMES * 20) out.push(`late frames: the model got ${observed.appendedMs} ms of the ${sentMs} ms the caller sent`);
    }
  }
  const endedBy = expect.ended_by ?? (expect.hangup_mid_utterance ? 'caller' : undefined);
  if (endedBy !== undefined && result.endedBy !== endedBy) out.push(`ended by: expected ${endedBy}, got ${result.endedBy}`);
  if (result.closeCode === undefined) out.push('teardown: the media socket never closed');
  for (const violation of result.violations) out.push(`protocol: ${violation}`);
  return out;
}
