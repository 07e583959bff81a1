import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { serviceConfigFrom } from '../../src/service/service-config.js';

describe('serviceConfigFrom', () => {
  it('takes model, voice, key and endpoint from the validated config', () => {
    const config = loadConfig({
      PUBLIC_BASE_URL: 'https://bot.example.com',
      TWILIO_AUTH_TOKEN: 'e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4',
      OPENAI_REALTIME_URL: 'ws://127.0.0.1:9999/v1/realtime',
      OPENAI_VOICE: 'cedar',
    });
    expect(serviceConfigFrom(config, { name: 'reception', initialInstruction: 'Be kind.', greeting: 'Say hi.' })).toEqual({
      name: 'reception',
      initialInstruction: 'Be kind.',
      modelSettings: { model: 'gpt-realtime', voice: 'cedar', audioFormat: 'pcmu' },
      agentType: 'realtime',
      apiKey: undefined,
      url: 'ws://127.0.0.1:9999/v1/realtime',
      greeting: 'Say hi.',
      tools: undefined,
    });
  });
});
