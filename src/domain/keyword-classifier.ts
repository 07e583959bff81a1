/**
 * A deterministic intent classifier built only from the catalogue's example phrases and intent descriptions: no
 * model, no network, the same answer every time. It is the default when no OpenAI key is configured, and what tests
 * and the offline demo use.
 *
 * Scoring: every feature (content stem or stem bigram) gets an inverse-intent-frequency weight, so a word shared by
 * many intents ("internet") counts less than a distinctive one ("cancel"). An intent's score is the weight of the
 * caller's features found in its vocabulary, scaled by how much of its best-matching example phrase was covered.
 * Confidence combines the evidence (how much matched), the margin over the runner-up intent, and the share of the
 * caller's words the intent knows.
 */
import type { AgentCatalogue } from './agent-catalogue.js';
import type { Classification, ClassifierInput, IntentClassifier } from './intent-classifier.js';
import { features } from './text-features.js';

/** Bigrams are stronger evidence than single words: "cancel service" beats "service". */
const BIGRAM_WEIGHT = 1.5;
/** Description words count, but less than the example phrases an operator wrote as typical caller speech. */
const DESCRIPTION_WEIGHT = 0.5;
/** The turn before the latest one still hints at the topic ("my internet..." / "...it keeps dropping"). */
const PREVIOUS_TURN_WEIGHT = 0.35;
/** Evidence (summed weights) at which confidence reaches 1 - 1/e of its ceiling. */
const EVIDENCE_SCALE = 2;
/** Scores this close count as a tie, which goes to the intent the call is already on. */
const TIE_RATIO = 0.05;

interface IntentModel {
  readonly name: string;
  /** Feature → how strongly this intent claims it (before inverse-intent-frequency weighting). */
  readonly vocabulary: ReadonlyMap<string, number>;
  readonly examples: readonly ReadonlySet<string>[];
}

/** Options for {@link createKeywordClassifier}. */
export interface KeywordClassifierOptions {
  readonly catalogue: AgentCatalogue;
}

function featureWeight(feature: string): number {
  return feature.includes(' ') ? BIGRAM_WEIGHT : 1;
}

/** Scores the caller's words against one catalogue; exported for tests and the benchmark. */
export class KeywordClassifier implements IntentClassifier {
  private readonly models: readonly IntentModel[];
  private readonly idf: ReadonlyMap<string, number>;

  constructor(options: KeywordClassifierOptions) {
    this.models = options.catalogue.intents.map((intent) => {
      const examples = intent.examples.map((example) => features(example));
      const vocabulary = new Map<string, number>();
      for (const feature of features(intent.description)) vocabulary.set(feature, DESCRIPTION_WEIGHT);
      for (const example of examples) for (const feature of example) vocabulary.set(feature, 1);
      return { name: intent.name, vocabulary, examples };
    });
    const intentFrequency = new Map<string, number>();
    for (const model of this.models) {
      for (const feature of model.vocabulary.keys()) intentFrequency.set(feature, (intentFrequency.get(feature) ?? 0) + 1);
    }
    const intentCount = this.models.length;
    this.idf = new Map([...intentFrequency].map(([feature, count]) => [feature, Math.log(1 + intentCount / count)]));
  }

  /** Classifies synchronously; the async `classify` wraps this. */
  classifySync(input: ClassifierInput): Classification | undefined {
    const latest = input.transcriptWindow.at(-1);
    if (latest === undefined) return undefined;
    const query = new Map<string, number>();
    const previous = input.transcriptWindow.at(-2);
    if (previous !== undefined) for (const feature of features(previous)) query.set(feature, PREVIOUS_TURN_WEIGHT);
    for (const feature of features(latest)) query.set(feature, 1);

    const scores = this.models
      .map((model) => ({ name: model.name, score: this.score(model, query) }))
      .sort((a, b) => b.score - a.score);
    let [best, second] = scores;
    if (!best || best.score <= 0) return undefined;
    const runnerUp = second?.score ?? 0;
    if (second && second.name === input.currentIntent && best.score - runnerUp <= best.score * TIE_RATIO) {
      [best, second] = [second, best];
    }
    const strength = 1 - Math.exp(-best.score / EVIDENCE_SCALE);
    const margin = Math.max(0, (best.score - (second?.score ?? 0)) / best.score);
    const precision = this.precision(best.name, latest);
    const confidence = Math.round(strength * (0.4 + 0.6 * margin) * (0.6 + 0.4 * precision) * 1000) / 1000;
    return { intent: best.name, confidence };
  }

  /** Resolves undefined when no catalogue word matched, or when the run was aborted. */
  async classify(input: ClassifierInput, signal: AbortSignal): Promise<Classification | undefined> {
    if (signal.aborted) return undefined;
    return this.classifySync(input);
  }

  /** Share of the latest turn's content words the chosen intent knows: "my name is John Smith" is mostly unknown. */
  private precision(intent: string, latest: string): number {
    const model = this.models.find((candidate) => candidate.name === intent);
    const words = [...features(latest)].filter((feature) => !feature.includes(' '));
    if (!model || words.length === 0) return 0;
    return words.filter((word) => model.vocabulary.has(word)).length / words.length;
  }

  private score(model: IntentModel, query: ReadonlyMap<string, number>): number {
    let matched = 0;
    for (const [feature, queryWeight] of query) {
      const claim = model.vocabulary.get(feature);
      if (claim !== undefined) matched += queryWeight * claim * featureWeight(feature) * (this.idf.get(feature) ?? 0);
    }
    if (matched === 0) return 0;
    let coverage = 0;
    for (const example of model.examples) {
      let hit = 0;
      let total = 0;
      for (const feature of example) {
        const weight = featureWeight(feature) * (this.idf.get(feature) ?? 0);
        total += weight;
        if (query.get(feature) === 1) hit += weight;
      }
      if (total > 0) coverage = Math.max(coverage, hit / total);
    }
    return matched * (0.5 + 0.5 * coverage);
  }
}

/** Builds the keyword classifier for a catalogue. */
export function createKeywordClassifier(options: KeywordClassifierOptions): KeywordClassifier {
  return new KeywordClassifier(options);
}
