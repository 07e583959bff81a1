import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { devServerEnv, loadDevRestoreConfig, loadDevTunnelConfig, readDevEnvironment } from '../../src/dev-tunnel/dev-tunnel-config.js';
import { ConfigError } from '../../src/errors.js';

const FULL = {
  NGROK_AUTHTOKEN: 'tok',
  TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  TWILIO_PHONE_NUMBER: '+15550100123',
  OPENAI_API_KEY: 'sk-test',
};

describe('loadDevTunnelConfig', () => {
  it('reads a complete environment with defaults', () => {
    expect(loadDevTunnelConfig(FULL)).toEqual({
      ngrokAuthtoken: 'tok',
      ngrokDomain: undefined,
      twilioAccountSid: FULL.TWILIO_ACCOUNT_SID,
      twilioAuthToken: '0123456789abcdef0123456789abcdef',
      twilioPhoneNumber: '+15550100123',
      port: 5050,
      dataDir: path.resolve('data'),
    });
    expect(loadDevTunnelConfig({ ...FULL, NGROK_DOMAIN: 'my-bot.ngrok.app', PORT: '6000' })).toMatchObject({ ngrokDomain: 'my-bot.ngrok.app', port: 6000 });
  });

  it('names every missing variable in one message', () => {
    const call = (): unknown => loadDevTunnelConfig({ TWILIO_AUTH_TOKEN: 'auth', NGROK_AUTHTOKEN: '' });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow('npm run dev needs NGROK_AUTHTOKEN, TWILIO_ACCOUNT_SID, TWILIO_PHONE_NUMBER, OPENAI_API_KEY. Set them in the environment or in .env');
  });

  it('accepts a local Realtime server instead of an OpenAI key', () => {
    const { OPENAI_API_KEY: _unused, ...rest } = FULL;
    expect(() => loadDevTunnelConfig({ ...rest, OPENAI_REALTIME_URL: 'ws://127.0.0.1:8080' })).not.toThrow();
  });

  it('refuses the placeholders of .env.example with one message naming each variable', () => {
    const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
    const call = (): unknown => loadDevTunnelConfig(example);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(
      /^Invalid dev configuration: NGROK_AUTHTOKEN is a placeholder.*TWILIO_ACCOUNT_SID is a placeholder.*TWILIO_AUTH_TOKEN is a placeholder.*TWILIO_PHONE_NUMBER is a placeholder.*OPENAI_API_KEY is a placeholder/,
    );
  });

  it('refuses an auth token of the wrong length', () => {
    expect(() => loadDevTunnelConfig({ ...FULL, TWILIO_AUTH_TOKEN: 'auth' })).toThrow(
      /^Invalid dev configuration: TWILIO_AUTH_TOKEN must be the account's auth token: 32 hex digits/,
    );
  });

  it('explains malformed values', () => {
    expect(() => loadDevTunnelConfig({ ...FULL, TWILIO_PHONE_NUMBER: '555-0100', NGROK_DOMAIN: 'https://x.ngrok.app/' })).toThrow(
      /NGROK_DOMAIN must be a bare host name.*TWILIO_PHONE_NUMBER must be an E\.164 number/,
    );
  });
});

describe('loadDevRestoreConfig', () => {
  it('needs only the Twilio credentials and DATA_DIR', () => {
    expect(loadDevRestoreConfig({ TWILIO_ACCOUNT_SID: FULL.TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: FULL.TWILIO_AUTH_TOKEN, DATA_DIR: 'var/bot' })).toEqual({
      twilioAccountSid: FULL.TWILIO_ACCOUNT_SID,
      twilioAuthToken: FULL.TWILIO_AUTH_TOKEN,
      dataDir: path.resolve('var/bot'),
    });
  });

  it('names what is missing or malformed', () => {
    expect(() => loadDevRestoreConfig({ TWILIO_AUTH_TOKEN: FULL.TWILIO_AUTH_TOKEN })).toThrow('npm run dev -- --restore needs TWILIO_ACCOUNT_SID.');
    expect(() => loadDevRestoreConfig({ TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: FULL.TWILIO_AUTH_TOKEN })).toThrow(
      /^Invalid dev configuration: TWILIO_ACCOUNT_SID must be an account SID/,
    );
  });
});

describe('readDevEnvironment and devServerEnv', () => {
  it('puts .env under the process environment and the tunnel URL into the server environment', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'devenv-')), '.env');
    writeFileSync(file, 'DEV_TUNNEL_TEST_ONLY_IN_FILE=file\nPATH=from-file\n');
    const env = readDevEnvironment(file);
    expect(env.DEV_TUNNEL_TEST_ONLY_IN_FILE).toBe('file');
    expect(env.PATH).not.toBe('from-file');
    expect(devServerEnv('https://abc.ngrok.app', { A: '1', PUBLIC_BASE_URL: 'https://old' })).toEqual({ A: '1', PUBLIC_BASE_URL: 'https://abc.ngrok.app' });
  });

  it('works without a .env file', () => {
    expect(readDevEnvironment(path.join(tmpdir(), 'does-not-exist', '.env'))).toBeTypeOf('object');
  });
});
