/**
 * Token usage of one Realtime response, read from `response.done` (`response.usage`, GA protocol): `input_tokens`
 * split by `input_token_details.{text_tokens,audio_tokens}`, of which `cached_tokens` (split by
 * `cached_tokens_details.{text_tokens,audio_tokens}`) were served from the prompt cache; `output_tokens` split by
 * `output_token_details.{text_tokens,audio_tokens}`. Cached tokens are part of the input counts, so the fields
 * below are disjoint: uncached input text/audio, cached text/audio, output text/audio.
 */

/** Tokens of one response, by kind; the kinds are disjoint and add up to the response's `total_tokens`. */
export interface RealtimeUsage {
  readonly inputTextTokens: number;
  readonly inputAudioTokens: number;
  readonly cachedTextTokens: number;
  readonly cachedAudioTokens: number;
  readonly outputTextTokens: number;
  readonly outputAudioTokens: number;
}

/** The token kinds of {@link RealtimeUsage}, in a fixed order (metric labels, price table keys). */
export const USAGE_KINDS = [
  'inputTextTokens',
  'inputAudioTokens',
  'cachedTextTokens',
  'cachedAudioTokens',
  'outputTextTokens',
  'outputAudioTokens',
] as const satisfies readonly (keyof RealtimeUsage)[];

/** No tokens. */
export const EMPTY_USAGE: RealtimeUsage = Object.freeze({
  inputTextTokens: 0,
  inputAudioTokens: 0,
  cachedTextTokens: 0,
  cachedAudioTokens: 0,
  outputTextTokens: 0,
  outputAudioTokens: 0,
});

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Reads `response.usage` of a `response.done`; undefined when it is absent or null (a cancelled response may have
 * none). Unknown or malformed numbers count as 0, never throw. Cached tokens without a text/audio split are counted
 * as cached text (the cheaper assumption would understate cost less than dropping them).
 */
export function parseRealtimeUsage(raw: unknown): RealtimeUsage | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const input = field(raw, 'input_token_details');
  const output = field(raw, 'output_token_details');
  const cached = count(field(input, 'cached_tokens'));
  const cachedDetails = field(input, 'cached_tokens_details');
  const cachedAudio = Math.min(cached, count(field(cachedDetails, 'audio_tokens')));
  const cachedText = cachedDetails === undefined ? cached : Math.min(cached - cachedAudio, count(field(cachedDetails, 'text_tokens')));
  return {
    inputTextTokens: Math.max(0, count(field(input, 'text_tokens')) - cachedText),
    inputAudioTokens: Math.max(0, count(field(input, 'audio_tokens')) - cachedAudio),
    cachedTextTokens: cachedText,
    cachedAudioTokens: cachedAudio,
    outputTextTokens: count(field(output, 'text_tokens')),
    outputAudioTokens: count(field(output, 'audio_tokens')),
  };
}

/** Sums two usages. */
export function addUsage(a: RealtimeUsage, b: RealtimeUsage): RealtimeUsage {
  return {
    inputTextTokens: a.inputTextTokens + b.inputTextTokens,
    inputAudioTokens: a.inputAudioTokens + b.inputAudioTokens,
    cachedTextTokens: a.cachedTextTokens + b.cachedTextTokens,
    cachedAudioTokens: a.cachedAudioTokens + b.cachedAudioTokens,
    outputTextTokens: a.outputTextTokens + b.outputTextTokens,
    outputAudioTokens: a.outputAudioTokens + b.outputAudioTokens,
  };
}
