import { describe, expect, it } from 'vitest';
import { loadConfig, loadStorageConfig } from '../../src/config.js';

const BASE = { PUBLIC_BASE_URL: 'https://bot.example.com', TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef', OPENAI_API_KEY: 'sk-test' };

describe('call record configuration', () => {
  it('defaults: masked numbers, transcripts stored, 30 days, no API, no webhook, open /metrics', () => {
    expect(loadConfig(BASE).records).toEqual({
      phoneNumbers: 'masked',
      storeTranscripts: true,
      retentionDays: 30,
      prices: undefined,
      adminApiKey: undefined,
      webhook: undefined,
      metricsBearerToken: undefined,
    });
  });

  it('reads every variable', () => {
    const records = loadConfig({
      ...BASE,
      RECORD_PHONE_NUMBERS: 'full',
      STORE_TRANSCRIPTS: 'false',
      RECORD_RETENTION_DAYS: '7',
      REALTIME_PRICES: '{"textInput":1,"cachedTextInput":0.1,"audioInput":2,"cachedAudioInput":0.2,"textOutput":3,"audioOutput":4}',
      ADMIN_API_KEY: 'a'.repeat(16),
      CALL_WEBHOOK_URL: 'https://crm.example.com/hooks/calls',
      CALL_WEBHOOK_SECRET: 's'.repeat(32),
      CALL_WEBHOOK_RETRY_BASE_MS: '1000',
      CALL_WEBHOOK_RETRY_MAX_MS: '60000',
      METRICS_BEARER_TOKEN: 'm'.repeat(20),
    }).records;
    expect(records).toEqual({
      phoneNumbers: 'full',
      storeTranscripts: false,
      retentionDays: 7,
      prices: { textInput: 1, cachedTextInput: 0.1, audioInput: 2, cachedAudioInput: 0.2, textOutput: 3, audioOutput: 4 },
      adminApiKey: 'a'.repeat(16),
      webhook: { url: 'https://crm.example.com/hooks/calls', secret: 's'.repeat(32), retryBaseMs: 1000, retryMaxMs: 60000 },
      metricsBearerToken: 'm'.repeat(20),
    });
  });

  it('names each bad variable in one message', () => {
    expect(() =>
      loadConfig({
        ...BASE,
        ADMIN_API_KEY: 'short',
        STORE_TRANSCRIPTS: 'maybe',
        REALTIME_PRICES: '{bad',
        CALL_WEBHOOK_URL: 'https://crm.example.com/hook',
        CALL_WEBHOOK_RETRY_BASE_MS: '10000',
        CALL_WEBHOOK_RETRY_MAX_MS: '5000',
      }),
    ).toThrow(
      /STORE_TRANSCRIPTS must be true or false; REALTIME_PRICES must be JSON.*; ADMIN_API_KEY must be at least 16 characters.*; CALL_WEBHOOK_SECRET is required when CALL_WEBHOOK_URL is set; CALL_WEBHOOK_RETRY_MAX_MS must not be below/,
    );
  });

  it('the records CLI needs only DATA_DIR and DATABASE_URL', () => {
    expect(loadStorageConfig({ DATA_DIR: '/var/lib/bot' })).toEqual({ dataDir: '/var/lib/bot', databaseUrl: undefined });
    expect(() => loadStorageConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a postgres/);
  });
});
