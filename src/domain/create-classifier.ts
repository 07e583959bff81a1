/**
 * Picks the intent classifier from configuration: the LLM classifier on the OpenAI chat client when
 * `config.classifier` is `llm`, otherwise the deterministic keyword classifier (the default without an API key).
 * It reads only plain settings, so the intent worker can build its own classifier from `workerData`.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { OpenAIChatClient } from '../infrastructure/openai-chat-client.js';
import type { AgentCatalogue } from './agent-catalogue.js';
import type { IntentClassifier } from './intent-classifier.js';
import { KeywordClassifier } from './keyword-classifier.js';
import { LlmClassifier } from './llm-classifier.js';

/** The part of `Config` a classifier is built from: plain values that can cross a thread boundary. */
export interface ClassifierSettings {
  readonly classifier: Config['classifier'];
  readonly openai: Pick<Config['openai'], 'apiKey' | 'baseUrl' | 'chatModel'>;
}

/** Copies the classifier's settings out of the configuration (for `workerData`). */
export function classifierSettings(config: ClassifierSettings): ClassifierSettings {
  const { apiKey, baseUrl, chatModel } = config.openai;
  return { classifier: config.classifier, openai: { apiKey, baseUrl, chatModel } };
}

/** Builds the configured classifier for a catalogue; throws at setup when `llm` is chosen without an API key. */
export function createClassifier(settings: ClassifierSettings, catalogue: AgentCatalogue, logger: Logger): IntentClassifier {
  if (settings.classifier === 'llm') {
    return new LlmClassifier({ catalogue, chat: OpenAIChatClient.fromConfig(settings.openai, logger.child({ component: 'classifier' })) });
  }
  return new KeywordClassifier({ catalogue });
}
