/**
 * The classifier seam: given the recent caller turns, name the caller's intent (a catalogue intent name) with a
 * confidence in 0..1, or say nothing. The orchestrator decides what to do with it (thresholds, hysteresis).
 */

/** What a classifier sees for one turn. */
export interface ClassifierInput {
  /** Recent caller turns, oldest first; the last one is the turn being classified. */
  readonly transcriptWindow: readonly string[];
  /** The intent the call is currently routed on, if any. */
  readonly currentIntent?: string | undefined;
}

/** A classifier's answer: an intent name from the catalogue and a calibrated confidence in 0..1. */
export interface Classification {
  readonly intent: string;
  readonly confidence: number;
}

/** Names the caller's intent; resolves undefined for "no opinion" (no match, failure, timeout). Never rejects. */
export interface IntentClassifier {
  classify(input: ClassifierInput, signal: AbortSignal): Promise<Classification | undefined>;
}
