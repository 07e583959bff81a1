/**
 * Picks the intent classifier from configuration: the LLM classifier on the OpenAI chat client when
 * `config.classifier` is `llm`, otherwise the deterministic keyword classifier (the default without an API key).
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { OpenAIChatClient } from '../infrastructure/openai-chat-client.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { KeywordClassifier } from './keyword-classifier.js';
import { LlmClassifier } from './llm-classifier.js';

/** Builds the configured classifier for a catalogue. */
export function createClassifier(config: Config, catalogue: AgentCatalogue, logger: Logger): IntentClassifier {
  if (config.classifier === 'llm') {
    return new LlmClassifier({ catalogue, chat: OpenAIChatClient.fromConfig(config, logger.child({ component: 'classifier' })) });
  }
  return new KeywordClassifier({ catalogue });
}
