import { beforeAll, describe, expect, it } from 'vitest';
import { loadAgentCatalogue, type AgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { KeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { DEFAULT_ROUTING_POLICY } from '../../src/domain/routing-policy.js';
import { features, stem } from '../../src/domain/text-features.js';

/** Paraphrases written after the catalogue, not copied from it: what the classifier has never seen. */
const PARAPHRASES: readonly (readonly [string, string])[] = [
  ['hey my wifi is completely dead since this morning', 'internet_outage'],
  ["nothing works, I can't get online at all", 'internet_outage'],
  ['is the network down in my area right now', 'internet_outage'],
  ['the speed is awful, everything lags', 'slow_connection'],
  ['my video calls keep freezing and the connection drops', 'slow_connection'],
  ['this month I got charged twice', 'bill_explanation'],
  ["I don't understand the fees on my latest bill", 'bill_explanation'],
  ['I would like to pay my bill with a card', 'make_payment'],
  ['can you set up autopay for me', 'make_payment'],
  ['I want to cancel my account today', 'cancel_service'],
  ["I'm done, please disconnect my service", 'cancel_service'],
  ['how much is your gigabit plan', 'new_service'],
  ['do you have plans available for my apartment', 'new_service'],
  ['can I upgrade to a faster plan', 'plan_change'],
  ['we are moving house next week', 'plan_change'],
  ['how do I change the password on my router', 'equipment_setup'],
  ['I need to speak to a real human being', 'human_request'],
  ['are you open on saturday', 'general_inquiry'],
  ['I am very unhappy with the service and want to complain', 'complaint'],
  ['the competitor down the street is cheaper', 'complaint'],
];

describe('KeywordClassifier on the shipped catalogue', () => {
  let catalogue: AgentCatalogue;
  let classifier: KeywordClassifier;
  beforeAll(async () => {
    catalogue = await loadAgentCatalogue();
    classifier = new KeywordClassifier({ catalogue });
  });

  it('classifies every example phrase of the catalogue as its own intent, confidently', () => {
    for (const intent of catalogue.intents) {
      for (const example of intent.examples) {
        const result = classifier.classifySync({ transcriptWindow: [example] });
        expect(result?.intent, example).toBe(intent.name);
        expect(result?.confidence, example).toBeGreaterThan(0.3);
      }
    }
  });

  it('gets at least 80% of fresh paraphrases right', () => {
    const misses = PARAPHRASES.filter(
      ([text, intent]) => classifier.classifySync({ transcriptWindow: [text] })?.intent !== intent,
    );
    expect(misses.length, `missed: ${misses.map(([text]) => text).join(' | ')}`).toBeLessThanOrEqual(PARAPHRASES.length * 0.2);
  });

  it('routes clear requests above the routing threshold', () => {
    for (const text of ['I want to cancel my internet service', 'my internet is not working at all', 'why is my bill so high']) {
      expect(classifier.classifySync({ transcriptWindow: [text] })?.confidence, text).toBeGreaterThanOrEqual(
        DEFAULT_ROUTING_POLICY.enterThreshold,
      );
    }
  });

  it('has no opinion on turns without catalogue words and low confidence on mostly unrelated ones', () => {
    expect(classifier.classifySync({ transcriptWindow: ['uh huh yes'] })).toBeUndefined();
    expect(classifier.classifySync({ transcriptWindow: ['caller pressed 1'] })).toBeUndefined();
    const name = classifier.classifySync({ transcriptWindow: ['my name is John Smith'] });
    expect(name?.confidence ?? 0).toBeLessThan(DEFAULT_ROUTING_POLICY.enterThreshold);
  });

  it('is deterministic and ignores an aborted run', async () => {
    const input = { transcriptWindow: ['my connection keeps dropping'] };
    expect(await classifier.classify(input, new AbortController().signal)).toEqual(classifier.classifySync(input));
    expect(await classifier.classify(input, AbortSignal.abort())).toBeUndefined();
  });

  it('uses the previous turn as weaker context', () => {
    const alone = classifier.classifySync({ transcriptWindow: ['it keeps happening every evening'] });
    const withContext = classifier.classifySync({
      transcriptWindow: ['my internet connection keeps dropping', 'it keeps happening every evening'],
    });
    expect(withContext?.intent).toBe('slow_connection');
    expect(withContext?.confidence ?? 0).toBeGreaterThan(alone?.confidence ?? 0);
  });
});

describe('text features', () => {
  it('stems inflections to one form and keeps negations', () => {
    expect(new Set(['charged', 'charges', 'charging', 'charge'].map(stem))).toEqual(new Set(['charg']));
    expect(stem('stopped')).toBe(stem('stop'));
    expect([...features("My internet isn't working")]).toEqual(['internet', 'not', 'work', 'internet not', 'not work']);
  });
});
