/**
 * The chat-model seam (seed: `AbstractChatClient`). The orchestrator's LLM classifier asks one structured question
 * per caller turn; an implementation answers with a value that passed the zod schema, or undefined for "no answer"
 * (failure, timeout, abort, invalid JSON). It never rejects: a classifier miss must never disturb a call.
 */
import type { z } from 'zod';

/** One message of a chat request. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** A structured chat request: the reply must be JSON matching `schema`. */
export interface ChatRequest<T> {
  readonly messages: readonly ChatMessage[];
  /** Validates the reply; also converted to the JSON Schema the model is constrained by. */
  readonly schema: z.ZodType<T>;
  /** Name of the response format (letters, digits, `_` and `-`, at most 64). */
  readonly schemaName: string;
  /** The orchestrator run's signal: aborting it abandons the request. */
  readonly signal: AbortSignal;
}

/** Seed's chat client: `chat()` resolves the validated reply, or undefined for any failure. */
export abstract class AbstractChatClient {
  abstract chat<T>(request: ChatRequest<T>): Promise<T | undefined>;
}
