/**
 * Estimated cost of a call's Realtime usage from a price table in USD per million tokens. The built-in table holds
 * OpenAI's list prices for the GA realtime models (platform.openai.com/docs/pricing, late 2025); override it
 * with `REALTIME_PRICES` (JSON, same keys) when your contract or the list differs. An estimate, not an invoice.
 */
import type { RealtimeUsage } from '../infrastructure/openai-realtime/realtime-usage.js';

/** USD per 1 000 000 tokens of each kind. */
export interface RealtimePrices {
  readonly textInput: number;
  readonly cachedTextInput: number;
  readonly audioInput: number;
  readonly cachedAudioInput: number;
  readonly textOutput: number;
  readonly audioOutput: number;
}

/** List prices by model name. */
export const DEFAULT_REALTIME_PRICES: Readonly<Record<string, RealtimePrices>> = {
  'gpt-realtime': { textInput: 4, cachedTextInput: 0.4, audioInput: 32, cachedAudioInput: 0.4, textOutput: 16, audioOutput: 64 },
  'gpt-realtime-mini': { textInput: 0.6, cachedTextInput: 0.06, audioInput: 10, cachedAudioInput: 0.3, textOutput: 2.4, audioOutput: 20 },
};

/** Prices for `model`: the override when given, else the built-in entry, else undefined (cost unknown). */
export function pricesFor(model: string, override?: RealtimePrices): RealtimePrices | undefined {
  return override ?? DEFAULT_REALTIME_PRICES[model];
}

/** USD cost of `usage`, rounded to a millionth of a dollar. */
export function estimateCostUsd(usage: RealtimeUsage, prices: RealtimePrices): number {
  const micro =
    usage.inputTextTokens * prices.textInput +
    usage.cachedTextTokens * prices.cachedTextInput +
    usage.inputAudioTokens * prices.audioInput +
    usage.cachedAudioTokens * prices.cachedAudioInput +
    usage.outputTextTokens * prices.textOutput +
    usage.outputAudioTokens * prices.audioOutput;
  return Math.round(micro) / 1_000_000;
}
