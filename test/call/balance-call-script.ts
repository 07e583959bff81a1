/**
 * The Realtime fake's script for the continuity tests (a reconnect after a drop, a move at a drain's end): a
 * greeting, one question whose answer is long enough to be cut mid-way, and the text reply the resumed session gives.
 */
import type { FakeScript } from '../../fakes/realtime-server.js';

export const GREETING = 'Hello, thanks for calling Northwind Fiber.';
export const QUESTION = 'What is my balance?';
export const ANSWER = 'Your balance is forty two dollars and ten cents, due on the first of next month, and autopay is on.';
export const RESUMED = 'As I was saying, forty two dollars and ten cents.';
export const BALANCE_CALL_SCRIPT: FakeScript = {
  greeting: { transcript: GREETING, durationMs: 1_200 },
  turns: [{ userTranscript: QUESTION, reply: { transcript: ANSWER, durationMs: 5_000 } }],
  textReply: { transcript: RESUMED, durationMs: 1_500 },
  fallbackReply: { transcript: 'Anything else?', durationMs: 800 },
};
