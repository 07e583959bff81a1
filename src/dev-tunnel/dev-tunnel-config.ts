/**
 * Configuration of `npm run dev` only. It lives apart from `src/config.ts` because only the dev script needs these
 * variables (NGROK_AUTHTOKEN, NGROK_DOMAIN, the Twilio REST credentials and the number to rewire), and because the
 * server's configuration cannot be loaded before the tunnel exists: its PUBLIC_BASE_URL comes from the tunnel. Like
 * `src/config.ts`, this module is a config module: it is the dev script's only reader of `process.env` and `.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { notPlaceholder, openaiApiKey, twilioAccountSid, twilioAuthToken } from '../config.js';
import { ConfigError } from '../errors.js';

/** Environment as a plain map, the shape `loadConfig` and `loadDevTunnelConfig` take. */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/** What `npm run dev -- --restore` needs: the Twilio REST credentials and where the restore record lives. */
export interface DevRestoreConfig {
  readonly twilioAccountSid: string;
  readonly twilioAuthToken: string;
  /** DATA_DIR, absolute: the restore record of a run that did not clean up is kept here. */
  readonly dataDir: string;
}

/** What the dev tunnel needs, validated. */
export interface DevTunnelConfig extends DevRestoreConfig {
  readonly ngrokAuthtoken: string;
  /** A reserved ngrok domain (a stable URL across runs), when set. */
  readonly ngrokDomain: string | undefined;
  /** The Twilio number to point at the tunnel, E.164. */
  readonly twilioPhoneNumber: string;
  /** Local port the server listens on and the tunnel forwards to. */
  readonly port: number;
}

const REQUIRED = ['NGROK_AUTHTOKEN', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER'] as const;

const present = (env: EnvMap, name: string): boolean => (env[name] ?? '').trim() !== '';

/** Credentials follow the server's own rules (`src/config.ts`), so both refuse the same placeholders. */
const DevEnvSchema = z.object({
  NGROK_AUTHTOKEN: notPlaceholder('NGROK_AUTHTOKEN'),
  NGROK_DOMAIN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    notPlaceholder('NGROK_DOMAIN', (v) =>
      v.regex(/^[a-z0-9.-]+$/i, 'must be a bare host name such as my-bot.ngrok.app (no scheme, no path)'),
    ).optional(),
  ),
  TWILIO_ACCOUNT_SID: twilioAccountSid,
  TWILIO_AUTH_TOKEN: twilioAuthToken,
  TWILIO_PHONE_NUMBER: notPlaceholder('TWILIO_PHONE_NUMBER', (v) =>
    v.regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550123'),
  ),
  OPENAI_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), openaiApiKey.optional()),
  PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65535).default(5050)),
  DATA_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).default('./data')),
});

/** One message naming each bad variable (the first element of each zod issue's path). */
function formatDevIssues(error: z.ZodError): string {
  return `Invalid dev configuration: ${error.issues.map((issue) => `${String(issue.path[0] ?? '(environment)')} ${issue.message}`).join('; ')}`;
}

/** Validates what `npm run dev -- --restore` needs (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, DATA_DIR). */
export function loadDevRestoreConfig(env: EnvMap = readDevEnvironment()): DevRestoreConfig {
  const missing = (['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const).filter((name) => !present(env, name));
  if (missing.length > 0) {
    throw new ConfigError(`npm run dev -- --restore needs ${missing.join(', ')}. Set ${missing.length === 1 ? 'it' : 'them'} in the environment or in .env.`);
  }
  const parsed = DevEnvSchema.pick({ TWILIO_ACCOUNT_SID: true, TWILIO_AUTH_TOKEN: true, DATA_DIR: true }).safeParse(env);
  if (!parsed.success) throw new ConfigError(formatDevIssues(parsed.error));
  const e = parsed.data;
  return Object.freeze({ twilioAccountSid: e.TWILIO_ACCOUNT_SID, twilioAuthToken: e.TWILIO_AUTH_TOKEN, dataDir: path.resolve(e.DATA_DIR) });
}

/**
 * Validates the dev tunnel's variables. Everything missing is named in one message, OpenAI's included (the server
 * started behind the tunnel needs OPENAI_API_KEY, or OPENAI_REALTIME_URL for a local Realtime server).
 */
export function loadDevTunnelConfig(env: EnvMap = readDevEnvironment()): DevTunnelConfig {
  const missing: string[] = REQUIRED.filter((name) => !present(env, name));
  if (!present(env, 'OPENAI_API_KEY') && !present(env, 'OPENAI_REALTIME_URL')) missing.push('OPENAI_API_KEY');
  if (missing.length > 0) {
    throw new ConfigError(
      `npm run dev needs ${missing.join(', ')}. Set ${missing.length === 1 ? 'it' : 'them'} in the environment or in .env ` +
        '(ngrok token: https://dashboard.ngrok.com/get-started/your-authtoken; Twilio SID, token and number: https://console.twilio.com).',
    );
  }
  const parsed = DevEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(formatDevIssues(parsed.error));
  const e = parsed.data;
  return Object.freeze({
    ngrokAuthtoken: e.NGROK_AUTHTOKEN,
    ngrokDomain: e.NGROK_DOMAIN,
    twilioAccountSid: e.TWILIO_ACCOUNT_SID,
    twilioAuthToken: e.TWILIO_AUTH_TOKEN,
    twilioPhoneNumber: e.TWILIO_PHONE_NUMBER,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
  });
}

/**
 * The process environment with `.env` (in the working directory) underneath it: a variable set in the shell wins
 * over the file. Read once, by the dev script.
 */
export function readDevEnvironment(envFile = path.resolve('.env')): EnvMap {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** The environment the server behind the tunnel is configured from: `env` with PUBLIC_BASE_URL set to the tunnel. */
export function devServerEnv(publicBaseUrl: string, env: EnvMap): EnvMap {
  return { ...env, PUBLIC_BASE_URL: publicBaseUrl };
}
