import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const BASE = {
  PUBLIC_BASE_URL: 'https://bot.example.com',
  TWILIO_AUTH_TOKEN: 'token',
  OPENAI_API_KEY: 'sk-test',
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(BASE);
    expect(config.port).toBe(5050);
    expect(config.host).toBe('0.0.0.0');
    expect(config.publicBaseUrl).toBe('https://bot.example.com');
    expect(config.openai.realtimeUrl).toBeUndefined();
    expect(config.classifier).toBe('llm');
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.logLevel).toBe('info');
  });

  it('applies the hardening defaults: every liveness deadline at most 10 s, idle connections closed within 30 s', () => {
    const config = loadConfig(BASE);
    expect(config.liveness).toEqual({
      realtimeConnectTimeoutMs: 5_000,
      realtimePingIntervalMs: 5_000,
      realtimePongTimeoutMs: 5_000,
      responseWatchdogMs: 8_000,
      mediaWatchdogMs: 5_000,
    });
    expect(config.http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      idleTimeoutMs: 20_000,
      keepAliveTimeoutMs: 5_000,
      maxRequestsPerSocket: 100,
      maxUnauthenticatedSockets: 200,
    });
    expect(config.twilio).toMatchObject({ verifyTimeoutMs: 2_000, verifyOnError: 'answer' });
  });

  it('names the variable when a hardening setting is out of range or malformed', () => {
    expect(() => loadConfig({ ...BASE, RESPONSE_WATCHDOG_MS: 'soon' })).toThrow(/RESPONSE_WATCHDOG_MS/);
    expect(() => loadConfig({ ...BASE, MEDIA_WATCHDOG_MS: '100' })).toThrow(/^Invalid configuration: MEDIA_WATCHDOG_MS .*500/);
    expect(() => loadConfig({ ...BASE, TWILIO_VERIFY_ON_ERROR: 'maybe' })).toThrow(/TWILIO_VERIFY_ON_ERROR/);
    expect(() => loadConfig({ ...BASE, MAX_UNAUTHENTICATED_SOCKETS: '0' })).toThrow(ConfigError);
    expect(loadConfig({ ...BASE, REALTIME_PONG_TIMEOUT_MS: '' }).liveness.realtimePongTimeoutMs).toBe(5_000);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig(BASE);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.twilio)).toBe(true);
    expect(Object.isFrozen(config.openai)).toBe(true);
  });

  it('normalizes a trailing slash on PUBLIC_BASE_URL to the bare origin', () => {
    expect(loadConfig({ ...BASE, PUBLIC_BASE_URL: 'https://abc.ngrok.app/' }).publicBaseUrl).toBe('https://abc.ngrok.app');
  });

  it.each([
    ['http://bot.example.com', 'PUBLIC_BASE_URL'],
    ['https://bot.example.com/voice', 'PUBLIC_BASE_URL'],
    ['https://bot.example.com?x=1', 'PUBLIC_BASE_URL'],
    ['not a url', 'PUBLIC_BASE_URL'],
  ])('rejects PUBLIC_BASE_URL=%s with a message naming the variable', (value, variable) => {
    expect(() => loadConfig({ ...BASE, PUBLIC_BASE_URL: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, PUBLIC_BASE_URL: value })).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('names every missing required variable in one message', () => {
    try {
      loadConfig({});
      expect.unreachable('loadConfig should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('PUBLIC_BASE_URL is required');
      expect(message).toContain('TWILIO_AUTH_TOKEN is required');
      expect(message).toContain('OPENAI_API_KEY is required');
    }
  });

  it('rejects a non-numeric PORT', () => {
    expect(() => loadConfig({ ...BASE, PORT: 'eighty' })).toThrow(/PORT /);
  });

  it('accepts a local Realtime endpoint without an API key and picks the keyword classifier', () => {
    const config = loadConfig({ ...BASE, OPENAI_API_KEY: '', OPENAI_REALTIME_URL: 'ws://127.0.0.1:9999/v1/realtime' });
    expect(config.openai.apiKey).toBeUndefined();
    expect(config.openai.realtimeUrl).toBe('ws://127.0.0.1:9999/v1/realtime');
    expect(config.classifier).toBe('keyword');
  });

  it('rejects a DATABASE_URL that is not a Postgres URL', () => {
    expect(() => loadConfig({ ...BASE, DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a postgres/);
  });

  it('rejects an unknown LOG_LEVEL', () => {
    expect(() => loadConfig({ ...BASE, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL /);
  });
});
