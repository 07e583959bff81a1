/**
 * Builds the Realtime fake for a recorded call: one scripted turn per caller utterance in the fixture's header, each
 * answered with audible audio, and the model's timing in the ranges production shows (transcript 300–700 ms after
 * the commit, first audio 600–1200 ms after the reply is created), taken from the header's `model_timing` and
 * per-utterance overrides, else varied per turn inside those ranges. Timing is in call time: a replay `speed` times
 * faster than real time gets a model `speed` times faster, so the call sounds the same. Reply lengths are fitted to
 * the gaps between the caller's utterances, so the bot finishes before the caller speaks again, except where the
 * fixture expects a barge-in: there the reply is long enough that the caller talks over it.
 */
import type { CallFixture } from '../../src/fixtures/call-fixture.js';
import type { RealtimeFakeServerOptions } from '../../fakes/realtime-server.js';
import type { FakeResponseScript, FakeScript } from '../../fakes/realtime/script.js';
import { FAKE_SAMPLES_PER_MS, tone } from '../../fakes/realtime/script.js';
import { replyClip } from './reply-clips.js';

/** The greeting's length; recorded callers wait 3 s for it (`LEAD_IN_MS` in scripts/make-fixtures.ts). */
export const GREETING_MS = 1_500;

/** Silence the fake's VAD waits before it ends a caller turn (the session's `silence_duration_ms`). */
const VAD_HANGOVER_MS = 500;

/** Production ranges of the model's delays, call-time ms (see ../shared/docs/protocols.md). */
export const TRANSCRIPT_MS_RANGE = [300, 700] as const;
export const FIRST_AUDIO_MS_RANGE = [600, 1_200] as const;

/** The model streams audio this many times faster than real time once it has started. */
const GENERATION_SPEEDUP = 4;

/** The bot's first words. */
export const GREETING = 'Thanks for calling Northwind Fiber. How can I help?';

/** What the bot says in the demo call, by fixture name; other fixtures get generic replies. */
const REPLIES: Readonly<Record<string, readonly string[]>> = {
  'intent-change-billing-then-cancel': [
    "I'm doing well, thank you! What can I do for you today?",
    "I'm sorry about the double charge. I can look at that bill with you.",
    "I'm sorry to hear you'd like to leave. May I ask what's prompting it?",
  ],
};

/**
 * The bot's voice for a scripted line, exactly `durationMs` long (the call's timing was fitted to it): the line's
 * committed espeak-ng clip, cut with a 50 ms fade or padded with silence, or, for a line without a clip, a tone
 * whose pitch changes per reply.
 */
function speech(line: string, durationMs: number, turn: number): Int16Array {
  const clip = replyClip(line);
  if (!clip) return tone(durationMs, 300 + 60 * (turn % 5), 6_000);
  const out = new Int16Array(durationMs * FAKE_SAMPLES_PER_MS);
  out.set(clip.subarray(0, out.length));
  if (clip.length > out.length) {
    const fade = Math.min(out.length, 50 * FAKE_SAMPLES_PER_MS);
    for (let i = 0; i < fade; i += 1) out[out.length - fade + i] = Math.round((out[out.length - fade + i] ?? 0) * (1 - i / fade));
  }
  return out;
}

/** A value inside `range` that differs per turn but never between runs. */
function spread(range: readonly [number, number], turn: number): number {
  const steps = [0.35, 0.8, 0.1, 0.6, 0.95, 0.25];
  return Math.round(range[0] + (range[1] - range[0]) * (steps[turn % steps.length] ?? 0.5));
}

/** The fake's script for replaying `fixture`, with delays in real ms for a replay at `speed`. */
export function fakeScriptForFixture(fixture: CallFixture, speed = 1): FakeScript {
  const { utterances, expect, model_timing: timing } = fixture.header;
  const replies = REPLIES[fixture.header.name] ?? [];
  const real = (callMs: number): number => Math.round(callMs / speed);
  const turns = utterances.map((utterance, i) => {
    const next = utterances[i + 1];
    const transcriptMs = utterance.transcript_ms ?? timing?.transcript_ms ?? spread(TRANSCRIPT_MS_RANGE, i);
    const firstAudioMs = utterance.first_audio_ms ?? timing?.first_audio_ms ?? spread(FIRST_AUDIO_MS_RANGE, i + 3);
    const gapMs = next === undefined ? 2_000 : next.at_ms - (utterance.end_ms ?? utterance.at_ms);
    const bargedInto = expect.barge_in === true && i === 0;
    const durationMs = bargedInto ? gapMs + 1_500 : Math.max(200, Math.min(1_500, gapMs - VAD_HANGOVER_MS - firstAudioMs - 400));
    const transcript = replies[i] ?? (bargedInto ? 'Let me walk you through a few things we can check together.' : 'Okay, I can help with that.');
    const reply: FakeResponseScript = { transcript, audio: speech(transcript, durationMs, i + 1) };
    return { userTranscript: utterance.transcript, reply, transcriptDelayMs: real(transcriptMs), firstAudioDelayMs: real(firstAudioMs) };
  });
  return {
    greeting: { transcript: GREETING, audio: speech(GREETING, GREETING_MS, 0), firstAudioDelayMs: real(FIRST_AUDIO_MS_RANGE[0]) },
    turns,
    fallbackReply: { transcript: 'Okay.', audio: speech('Okay.', 300, 9), firstAudioDelayMs: real(FIRST_AUDIO_MS_RANGE[0]) },
    textReply: { transcript: 'Thank you, I got those keys.', audio: speech('Thank you, I got those keys.', 600, 8), firstAudioDelayMs: real(FIRST_AUDIO_MS_RANGE[0]) },
  };
}

/** Everything the Realtime fake needs to replay `fixture` at `speed`: script, model timing, handshake delay. */
export function fakeServerOptionsForFixture(fixture: CallFixture, speed = 1): RealtimeFakeServerOptions {
  const connectMs = fixture.header.model_timing?.connect_ms;
  return {
    script: fakeScriptForFixture(fixture, speed),
    realtimeFactor: 1 / (GENERATION_SPEEDUP * speed),
    ...(connectMs === undefined ? {} : { acceptDelayMs: Math.round(connectMs / speed) }),
  };
}
