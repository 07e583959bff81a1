import { describe, expect, it } from 'vitest';
import { addUsage, EMPTY_USAGE, parseRealtimeUsage } from '../../src/infrastructure/openai-realtime/realtime-usage.js';

describe('parseRealtimeUsage', () => {
  it('splits a GA response.usage into disjoint kinds (cached tokens are part of the input counts)', () => {
    const usage = parseRealtimeUsage({
      total_tokens: 1000,
      input_tokens: 700,
      output_tokens: 300,
      input_token_details: {
        text_tokens: 500,
        audio_tokens: 200,
        image_tokens: 0,
        cached_tokens: 450,
        cached_tokens_details: { text_tokens: 400, audio_tokens: 50, image_tokens: 0 },
      },
      output_token_details: { text_tokens: 60, audio_tokens: 240 },
    });
    expect(usage).toEqual({
      inputTextTokens: 100,
      inputAudioTokens: 150,
      cachedTextTokens: 400,
      cachedAudioTokens: 50,
      outputTextTokens: 60,
      outputAudioTokens: 240,
    });
  });

  it('reads absent usage as undefined and malformed numbers as zero', () => {
    expect(parseRealtimeUsage(null)).toBeUndefined();
    expect(parseRealtimeUsage(undefined)).toBeUndefined();
    expect(parseRealtimeUsage({ input_token_details: { text_tokens: 'x', audio_tokens: -3 }, output_token_details: { audio_tokens: 12.7 } })).toEqual({
      ...EMPTY_USAGE,
      outputAudioTokens: 12,
    });
  });

  it('counts cached tokens without a split as cached text', () => {
    expect(parseRealtimeUsage({ input_token_details: { text_tokens: 30, audio_tokens: 5, cached_tokens: 20 } })).toMatchObject({
      inputTextTokens: 10,
      cachedTextTokens: 20,
      inputAudioTokens: 5,
    });
  });

  it('adds usages kind by kind', () => {
    const one = { ...EMPTY_USAGE, inputAudioTokens: 3, outputAudioTokens: 7 };
    expect(addUsage(one, one)).toEqual({ ...EMPTY_USAGE, inputAudioTokens: 6, outputAudioTokens: 14 });
  });
});
