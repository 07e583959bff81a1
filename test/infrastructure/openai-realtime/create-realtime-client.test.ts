import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { realtimeClientOptionsFrom } from '../../../src/infrastructure/openai-realtime/create-realtime-client.js';
import { createLogger } from '../../../src/logger.js';

describe('realtimeClientOptionsFrom (the one construction path of a call\'s Realtime client)', () => {
  it('takes model, voice, key, endpoint and the liveness deadlines from the validated config', () => {
    const config = loadConfig({
      PUBLIC_BASE_URL: 'https://bot.example.com',
      TWILIO_AUTH_TOKEN: 'e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4',
      OPENAI_REALTIME_URL: 'ws://127.0.0.1:9999/v1/realtime',
      OPENAI_VOICE: 'cedar',
      REALTIME_CONNECT_TIMEOUT_MS: '4000',
      REALTIME_PING_INTERVAL_MS: '3000',
      REALTIME_PONG_TIMEOUT_MS: '2000',
    });
    const logger = createLogger('silent');
    expect(realtimeClientOptionsFrom(config, { name: 'reception', instructions: 'Be kind.', logger })).toEqual({
      name: 'reception',
      instructions: 'Be kind.',
      model: 'gpt-realtime',
      voice: 'cedar',
      audioFormat: 'pcmu',
      apiKey: undefined,
      url: 'ws://127.0.0.1:9999/v1/realtime',
      connectTimeoutMs: 4000,
      pingIntervalMs: 3000,
      pongTimeoutMs: 2000,
      logger,
    });
  });

  it('carries REALTIME_AUDIO_FORMAT=pcm16 to the client', () => {
    const config = loadConfig({
      PUBLIC_BASE_URL: 'https://bot.example.com',
      TWILIO_AUTH_TOKEN: 'e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4',
      OPENAI_REALTIME_URL: 'ws://127.0.0.1:9999/v1/realtime',
      REALTIME_AUDIO_FORMAT: 'pcm16',
    });
    const logger = createLogger('silent');
    expect(realtimeClientOptionsFrom(config, { name: 'reception', instructions: 'Be kind.', logger }).audioFormat).toBe('pcm16');
  });
});
