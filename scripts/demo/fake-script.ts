/**
 * Builds the Realtime fake's script for a recorded call: one scripted turn per caller utterance in the fixture's
 * header, each answered with audible audio. Reply lengths are fitted to the gaps between the caller's utterances,
 * so the bot finishes before the caller speaks again, except where the fixture expects a barge-in: there the reply
 * is made long enough that the caller talks over it.
 */
import type { CallFixture } from '../../src/fixtures/call-fixture.js';
import type { FakeResponseScript, FakeScript } from '../../test/fakes/realtime/script.js';
import { tone } from '../../test/fakes/realtime/script.js';

/** The greeting's length; recorded callers wait 3 s for it (`LEAD_IN_MS` in scripts/make-fixtures.ts). */
export const GREETING_MS = 1_500;

/** Silence the fake's VAD waits before it ends a caller turn, plus the time the reply takes to start. */
const TURN_END_MS = 700;

/** What the bot says in the demo call, by fixture name; other fixtures get generic replies. */
const REPLIES: Readonly<Record<string, readonly string[]>> = {
  'intent-change-billing-then-cancel': [
    "I'm doing well, thank you! What can I do for you today?",
    "I'm sorry about the double charge. I can look at that bill with you.",
    "I'm sorry to hear you'd like to leave. May I ask what's prompting it?",
  ],
};

/** An audible stand-in for speech: a tone whose pitch changes per reply, so the WAV shows each turn. */
function speech(durationMs: number, turn: number): Int16Array {
  return tone(durationMs, 300 + 60 * (turn % 5), 6_000);
}

/** The fake's script for replaying `fixture`. */
export function fakeScriptForFixture(fixture: CallFixture): FakeScript {
  const { utterances, expect } = fixture.header;
  const replies = REPLIES[fixture.header.name] ?? [];
  const turns = utterances.map((utterance, i) => {
    const next = utterances[i + 1];
    const gapMs = next === undefined ? 2_000 : next.at_ms - (utterance.end_ms ?? utterance.at_ms);
    const bargedInto = expect.barge_in === true && i === 0;
    const durationMs = bargedInto ? gapMs + 1_500 : Math.max(200, Math.min(1_500, gapMs - TURN_END_MS - 400));
    const reply: FakeResponseScript = {
      transcript: replies[i] ?? (bargedInto ? 'Let me walk you through a few things we can check together.' : 'Okay, I can help with that.'),
      audio: speech(durationMs, i + 1),
    };
    return { userTranscript: utterance.transcript, reply };
  });
  return {
    greeting: { transcript: 'Thanks for calling Northwind Fiber. How can I help?', audio: speech(GREETING_MS, 0) },
    turns,
    fallbackReply: { transcript: 'Okay.', audio: speech(300, 9) },
  };
}
