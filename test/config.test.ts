import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV_EXAMPLE_VALUES, loadConfig, readEnvironment } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const BASE = {
  PUBLIC_BASE_URL: 'https://bot.example.com',
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
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

  it('puts μ-law on the Realtime wire by default, takes pcm16, and names REALTIME_AUDIO_FORMAT when it is neither', () => {
    expect(loadConfig({ ...BASE }).openai.realtimeAudioFormat).toBe('pcmu');
    expect(loadConfig({ ...BASE, REALTIME_AUDIO_FORMAT: '' }).openai.realtimeAudioFormat).toBe('pcmu');
    expect(loadConfig({ ...BASE, REALTIME_AUDIO_FORMAT: 'pcm16' }).openai.realtimeAudioFormat).toBe('pcm16');
    expect(() => loadConfig({ ...BASE, REALTIME_AUDIO_FORMAT: 'g722' })).toThrow(/^Invalid configuration: REALTIME_AUDIO_FORMAT .*pcmu, pcm16/);
  });

  it('names the variable when a hardening setting is out of range or malformed', () => {
    expect(() => loadConfig({ ...BASE, RESPONSE_WATCHDOG_MS: 'soon' })).toThrow(/RESPONSE_WATCHDOG_MS/);
    expect(() => loadConfig({ ...BASE, MEDIA_WATCHDOG_MS: '100' })).toThrow(/^Invalid configuration: MEDIA_WATCHDOG_MS .*500/);
    expect(() => loadConfig({ ...BASE, TWILIO_VERIFY_ON_ERROR: 'maybe' })).toThrow(/TWILIO_VERIFY_ON_ERROR/);
    expect(() => loadConfig({ ...BASE, MAX_UNAUTHENTICATED_SOCKETS: '0' })).toThrow(ConfigError);
    expect(loadConfig({ ...BASE, REALTIME_PONG_TIMEOUT_MS: '' }).liveness.realtimePongTimeoutMs).toBe(5_000);
  });

  it('takes INSTANCE_ID as a path segment, and refuses STREAM_ROUTE_BY_INSTANCE without it', () => {
    expect(loadConfig(BASE)).toMatchObject({ instanceId: undefined, streamRouteByInstance: false });
    expect(loadConfig({ ...BASE, INSTANCE_ID: 'bot-2', STREAM_ROUTE_BY_INSTANCE: 'true' })).toMatchObject({ instanceId: 'bot-2', streamRouteByInstance: true });
    expect(() => loadConfig({ ...BASE, INSTANCE_ID: 'Bot/2' })).toThrow(/^Invalid configuration: INSTANCE_ID must be 1-63 lowercase letters/);
    expect(() => loadConfig({ ...BASE, STREAM_ROUTE_BY_INSTANCE: 'true' })).toThrow(/STREAM_ROUTE_BY_INSTANCE is "true" but INSTANCE_ID is not set/);
    expect(() => loadConfig({ ...BASE, STREAM_ROUTE_BY_INSTANCE: 'yes' })).toThrow(/STREAM_ROUTE_BY_INSTANCE/);
  });

  it('bounds Realtime reconnects and rolls sessions over before the provider limit; a bad value names its variable', () => {
    expect(loadConfig(BASE).realtimeSession).toEqual({ maxReconnects: 2, limitMs: 3_600_000, rolloverMarginMs: 300_000 });
    expect(loadConfig({ ...BASE, REALTIME_SESSION_LIMIT_S: '1800', REALTIME_MAX_RECONNECTS: '0' }).realtimeSession).toEqual({
      maxReconnects: 0,
      limitMs: 1_800_000,
      rolloverMarginMs: 300_000,
    });
    expect(() => loadConfig({ ...BASE, REALTIME_MAX_RECONNECTS: 'many' })).toThrow(/^Invalid configuration: REALTIME_MAX_RECONNECTS /);
    expect(() => loadConfig({ ...BASE, REALTIME_SESSION_LIMIT_S: '30' })).toThrow(/^Invalid configuration: REALTIME_SESSION_LIMIT_S .*60/);
    expect(() => loadConfig({ ...BASE, REALTIME_SESSION_LIMIT_S: '300', REALTIME_ROLLOVER_MARGIN_S: '300' })).toThrow(
      /REALTIME_ROLLOVER_MARGIN_S \(300\) must be smaller than REALTIME_SESSION_LIMIT_S \(300\)/,
    );
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

  it('refuses the values copied unchanged from .env.example, naming each credential in one message', () => {
    const example = parseEnv(readFileSync(new URL('../.env.example', import.meta.url), 'utf8'));
    // Every placeholder the file ships is one the config knows, so no example value slips through as a credential.
    for (const [name, value] of Object.entries(ENV_EXAMPLE_VALUES)) {
      if (name in example) expect(example[name], name).toBe(value);
    }
    try {
      loadConfig(example);
      expect.unreachable('loadConfig should refuse the example values');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['PUBLIC_BASE_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER', 'OPENAI_API_KEY']) {
        expect(message).toContain(`${name} is a placeholder`);
      }
      expect(message.split('\n')).toHaveLength(1);
    }
  });

  it.each([
    ['TWILIO_AUTH_TOKEN', 'token', /^Invalid configuration: TWILIO_AUTH_TOKEN must be the account's auth token: 32 hex digits/],
    ['TWILIO_AUTH_TOKEN', '0123456789abcdef0123456789abcde', /TWILIO_AUTH_TOKEN must be the account's auth token/],
    ['TWILIO_AUTH_TOKEN', '0123456789abcdef0123456789abcdeg', /TWILIO_AUTH_TOKEN must be the account's auth token/],
    ['TWILIO_ACCOUNT_SID', 'AC0123', /^Invalid configuration: TWILIO_ACCOUNT_SID must be an account SID: AC followed by 32 hex digits/],
    ['TWILIO_ACCOUNT_SID', 'SK0123456789abcdef0123456789abcdef', /TWILIO_ACCOUNT_SID must be an account SID/],
    ['OPENAI_API_KEY', 'sk-...', /^Invalid configuration: OPENAI_API_KEY is a placeholder/],
    ['OPENAI_API_KEY', 'your_openai_key', /OPENAI_API_KEY is a placeholder/],
    ['OPENAI_API_KEY', '<your key>', /OPENAI_API_KEY is a placeholder/],
    ['PUBLIC_BASE_URL', 'https://your-subdomain.ngrok.app', /^Invalid configuration: PUBLIC_BASE_URL is a placeholder/],
    ['CALLS_API_KEY', 'a-long-random-secret-for-POST-/calls', /CALLS_API_KEY is a placeholder/],
  ])('refuses %s=%s with one message naming it', (name, value, expected) => {
    const call = (): unknown => loadConfig({ ...BASE, [name]: value });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(expected);
    try {
      call();
    } catch (error) {
      // One problem per variable: a placeholder is not also reported as malformed.
      expect((error as Error).message.split(name)).toHaveLength(2);
    }
  });

  it('refuses a URL of the wrong scheme in OPENAI_REALTIME_URL, OPENAI_BASE_URL and CALL_WEBHOOK_URL, naming each', () => {
    const load = () =>
      loadConfig({
        ...BASE,
        OPENAI_REALTIME_URL: 'http://127.0.0.1:9999/v1/realtime',
        OPENAI_BASE_URL: 'wss://127.0.0.1:9999/v1',
        CALL_WEBHOOK_URL: 'ftp://crm.example.com/hook',
        CALL_WEBHOOK_SECRET: 's'.repeat(32),
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/OPENAI_REALTIME_URL must be a ws:\/\/ or wss:\/\/ URL/);
    expect(load).toThrow(/OPENAI_BASE_URL must be an http:\/\/ or https:\/\/ URL/);
    expect(load).toThrow(/CALL_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL/);
  });

  it('accepts well-formed credentials', () => {
    const config = loadConfig({
      ...BASE,
      TWILIO_AUTH_TOKEN: '0123456789ABCDEF0123456789abcdef',
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      TWILIO_PHONE_NUMBER: '+14155550123',
      OPENAI_API_KEY: 'sk-proj-Abc_123-xyz',
    });
    expect(config.twilio).toEqual({
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      authToken: '0123456789ABCDEF0123456789abcdef',
      phoneNumber: '+14155550123',
      verifyTimeoutMs: 2_000,
      verifyOnError: 'answer',
    });
    expect(config.openai.apiKey).toBe('sk-proj-Abc_123-xyz');
  });

  it('lists in .env.example every variable README.md names', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const named = new Set([...readme.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|PORT|HOST|CLASSIFIER)`/g)].map((m) => m[1]!));
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((name) => !listed.has(name))).toEqual([]);
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
