import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readEnvironment } from '../src/config.js';
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
      expect(message).toContain('read from the environment and from .env');
    }
  });

  it('says where variables are read from only when one is missing', () => {
    expect(() => loadConfig({ ...BASE, TWILIO_AUTH_TOKEN: undefined })).toThrow(/TWILIO_AUTH_TOKEN is required\. Variables are read from the environment and from \.env/);
    expect(() => loadConfig({ ...BASE, PORT: 'eighty' })).toThrow(/^Invalid configuration: PORT (?!is required)/);
    expect(() => loadConfig({ ...BASE, PORT: 'eighty' })).not.toThrow(/\.env/);
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

describe('readEnvironment', () => {
  it('loads .env under the environment: a variable already set wins, a missing file is fine', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'read-environment-'));
    const envFile = path.join(dir, '.env');
    await writeFile(envFile, 'VOICEBOT_TEST_SET_IN_SHELL=file\nVOICEBOT_TEST_ONLY_IN_FILE=file\n');
    process.env.VOICEBOT_TEST_SET_IN_SHELL = 'shell';
    try {
      const env = readEnvironment(envFile);
      expect(env.VOICEBOT_TEST_SET_IN_SHELL).toBe('shell');
      expect(env.VOICEBOT_TEST_ONLY_IN_FILE).toBe('file');
      expect(readEnvironment(path.join(dir, 'absent.env'))).toBe(process.env);
    } finally {
      delete process.env.VOICEBOT_TEST_SET_IN_SHELL;
      delete process.env.VOICEBOT_TEST_ONLY_IN_FILE;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
