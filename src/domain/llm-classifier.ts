/**
 * An intent classifier that asks a chat model, through `AbstractChatClient`, to pick one catalogue intent (or
 * "none") with a confidence. The answer is constrained to the catalogue's intent names by the JSON schema and checked
 * again by zod; anything else — failure, timeout, abort, invalid JSON, "none" — is "no opinion".
 */
import { z } from 'zod';
import type { AbstractChatClient } from '../infrastructure/chat-client.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { Classification, ClassifierInput, IntentClassifier } from './intent-classifier.js';

/** The answer meaning "none of the catalogue's intents". */
export const NO_INTENT_ANSWER = 'none';
/** Example phrases per intent shown to the model; a few are enough and keep the prompt small. */
const EXAMPLES_IN_PROMPT = 3;

/** Options for {@link LlmClassifier}. */
export interface LlmClassifierOptions {
  readonly catalogue: AgentCatalogue;
  readonly chat: AbstractChatClient;
}

/** Builds the system prompt listing every intent; exported so tests can check it names all of them. */
export function buildClassifierPrompt(catalogue: AgentCatalogue): string {
  const lines = catalogue.intents.map(
    (intent) =>
      `- ${intent.name}: ${intent.description} Examples: ${intent.examples
        .slice(0, EXAMPLES_IN_PROMPT)
        .map((example) => `"${example}"`)
        .join(', ')}`,
  );
  return [
    `You route phone calls for ${catalogue.business.name}. Read the caller's recent turns (speech-to-text, may contain errors)`,
    `and decide what the caller wants now, judging mostly by the last turn. Answer with one intent name from this list,`,
    `or "${NO_INTENT_ANSWER}" if the last turn does not show a need (greetings, small talk, answers to questions, names, numbers).`,
    `confidence is your probability (0 to 1) that the intent is right.`,
    '',
    ...lines,
  ].join('\n');
}

/** Classifies with a chat model; resolves undefined whenever the model gives no usable answer. */
export class LlmClassifier implements IntentClassifier {
  private readonly chat: AbstractChatClient;
  private readonly prompt: string;
  private readonly schema;

  constructor(options: LlmClassifierOptions) {
    this.chat = options.chat;
    this.prompt = buildClassifierPrompt(options.catalogue);
    const names = options.catalogue.intents.map((intent) => intent.name);
    this.schema = z.strictObject({
      intent: z.enum([NO_INTENT_ANSWER, ...names] as [string, ...string[]]),
      confidence: z.number().min(0).max(1),
    });
  }

  async classify(input: ClassifierInput, signal: AbortSignal): Promise<Classification | undefined> {
    if (input.transcriptWindow.length === 0) return undefined;
    const turns = input.transcriptWindow.map((turn, index) => `${index + 1}. ${turn}`).join('\n');
    const current = input.currentIntent ? `\nThe call is currently handled for intent: ${input.currentIntent}.` : '';
    const answer = await this.chat.chat({
      messages: [
        { role: 'system', content: this.prompt },
        { role: 'user', content: `Caller turns, oldest first:\n${turns}${current}` },
      ],
      schema: this.schema,
      schemaName: 'intent_classification',
      signal,
    });
    if (!answer || answer.intent === NO_INTENT_ANSWER) return undefined;
    return { intent: answer.intent, confidence: answer.confidence };
  }
}

/** Builds the LLM classifier for a catalogue on a chat client. */
export function createLlmClassifier(options: LlmClassifierOptions): LlmClassifier {
  return new LlmClassifier(options);
}
