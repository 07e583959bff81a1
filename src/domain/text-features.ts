/**
 * Turns a caller's sentence into comparable features for the keyword classifier: lowercase words with contractions
 * expanded, stopwords dropped, a light suffix-stripping stemmer, and adjacent-word bigrams. Pure functions.
 */

/** Words that carry no intent on their own. Negations are kept: "not working" is the whole point of a support call. */
const STOPWORDS = new Set(
  (
    'a an the and or but if so to of in on at for from by with about as into than then this that these those it its ' +
    'i me my mine myself we us our you your yours he him his she her they them their is am are was were be been being ' +
    'do does did doing have has had having will would shall should can could may might must just really very please ' +
    'hi hello hey ok okay yes yeah yep uh um er hmm well like oh thanks thank there here what when where how why who ' +
    'which some any all also too up out get got want wanted need needed would like id im ive its one today now help ' +
    'caller callers think thinking maybe actually going gonna wanna kind sort bit lot'
  ).split(' '),
);

const CONTRACTIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bcan't\b/g, 'can not'],
  [/\bwon't\b/g, 'will not'],
  [/n't\b/g, ' not'],
  [/'re\b/g, ' are'],
  [/'ve\b/g, ' have'],
  [/'ll\b/g, ' will'],
  [/'d\b/g, ' would'],
  [/'m\b/g, ' am'],
  [/'s\b/g, ''],
];

/** Spellings speech-to-text produces for the same thing; mapped before stemming. */
const SYNONYMS: Readonly<Record<string, string>> = {
  'wi-fi': 'wifi',
  wireless: 'wifi',
  'e-mail': 'email',
  cancellation: 'cancel',
  cancelling: 'cancel',
  canceling: 'cancel',
  internets: 'internet',
};

/** Lowercases, expands contractions and splits into word tokens (letters and digits). */
export function tokenize(text: string): string[] {
  let normalized = text.toLowerCase().replaceAll('\u2019', "'");
  for (const [pattern, replacement] of CONTRACTIONS) normalized = normalized.replace(pattern, replacement);
  return (normalized.match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? []).map((word) => SYNONYMS[word] ?? word);
}

/** Strips common English inflections so "charged", "charges" and "charging" meet at "charg". */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  const rules: ReadonlyArray<readonly [string, string]> = [
    ['ies', 'y'],
    ['ing', ''],
    ['edly', ''],
    ['ed', ''],
    ['es', ''],
    ['ly', ''],
    ['s', ''],
    ['e', ''],
  ];
  for (const [suffix, replacement] of rules) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3 && !word.endsWith('ss')) {
      return undoubleConsonant(word.slice(0, -suffix.length) + replacement);
    }
  }
  return word;
}

/** "stopped" strips to "stopp"; undoubling makes it meet "stop". Double l, s and z are kept (bill, pass, buzz). */
function undoubleConsonant(word: string): string {
  const last = word.at(-1);
  if (last && last === word.at(-2) && !'aeiouysslz'.includes(last)) return word.slice(0, -1);
  return word;
}

/** True when a word is a stopword (no intent on its own). */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Content stems of a sentence, in order, stopwords removed. */
export function contentStems(text: string): string[] {
  return tokenize(text)
    .filter((word) => !isStopword(word))
    .map(stem);
}

/** Features of a sentence: each content stem, and each adjacent pair of content stems as "a b". */
export function features(text: string): Set<string> {
  const stems = contentStems(text);
  const out = new Set<string>(stems);
  for (let i = 1; i < stems.length; i += 1) out.add(`${stems[i - 1]} ${stems[i]}`);
  return out;
}
