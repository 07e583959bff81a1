/**
 * Decides which caller turns are worth classifying. Backchannels ("uh huh", "okay", "yes") and very short fragments
 * say nothing about intent, and letting them through would only add noise to the transcript window.
 */
import { isStopword, tokenize } from './text-features.js';

/** Turns with fewer letters than this are noise from speech-to-text ("m", "ah"). */
export const MIN_TURN_LETTERS = 3;

/** Answers and acknowledgements that are not stopwords for the classifier but carry no intent on their own. */
const FILLER_WORDS = new Set(
  'no nope nah not sure right alright great good fine cool mhm mm huh ah aha bye goodbye sorry pardon what'.split(' '),
);

/** True when a turn is a filler or too short to classify. */
export function isFillerTurn(text: string): boolean {
  const letters = text.replace(/[^\p{L}]/gu, '').length;
  if (letters < MIN_TURN_LETTERS) return true;
  return tokenize(text).every((word) => isStopword(word) || FILLER_WORDS.has(word));
}
