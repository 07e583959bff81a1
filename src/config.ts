/**
 * The only reader of `process.env`. `loadConfig()` validates every variable with zod at startup and returns a frozen,
 * typed object; a bad value fails with one readable message naming the variable. Nothing reads env at module load.
 */
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_REALTIME_AUDIO_FORMAT, REALTIME_AUDIO_FORMATS, type RealtimeAudioFormatName } from './audio/audio-format.js';
import { ConfigError } from './errors.js';
import { callRecordEnv, callRecordConfig, crossFieldRecordIssues, type CallRecordConfig } from './records/record-config.js';
import { httpUrl, wsUrl } from './url-with-protocol.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Treats empty strings as unset, so `FOO=` in a .env file means "use the default". */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).optional());

const httpsOrigin = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash && !u.username;
    } catch {
      return false;
    }
  }, 'must be an https origin without a path, query or credentials, e.g. https://bot.example.com')
  .transform((v) => new URL(v).origin);

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// connection URL');

/**
 * Values `.env.example` ships with, by variable. Copied unchanged into `.env` they are placeholders, not credentials,
 * and the server must not start on them (it would log "server ready" and then fail every call).
 */
export const ENV_EXAMPLE_VALUES: Readonly<Record<string, string>> = Object.freeze({
  PUBLIC_BASE_URL: 'https://your-subdomain.ngrok.app',
  TWILIO_ACCOUNT_SID: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  TWILIO_AUTH_TOKEN: 'your_auth_token',
  TWILIO_PHONE_NUMBER: '+15551234567',
  OPENAI_API_KEY: 'sk-...',
  NGROK_AUTHTOKEN: 'your_ngrok_authtoken',
  NGROK_DOMAIN: 'your-name.ngrok.app',
  CALLS_API_KEY: 'a-long-random-secret-for-POST-/calls',
});

/** Text that only a template carries: `...`, `xxxxxxxx`, `your_…`/`your-…`, `<…>`, `changeme`, `replace…`. */
const PLACEHOLDER_PATTERN = /\.\.\.|…|x{8,}|\byour[_-]|<[^>]*>|change[_-]?me|^replace/i;

/** True when `value` is the `.env.example` value of `variable` or reads like a template's placeholder. */
export function isPlaceholder(variable: string, value: string): boolean {
  return value === ENV_EXAMPLE_VALUES[variable] || PLACEHOLDER_PATTERN.test(value);
}

/**
 * A trimmed, non-empty string that is not a placeholder for `variable`; `format` adds the variable's own rules,
 * checked only when it is not a placeholder, so each bad variable gets exactly one message.
 */
export function notPlaceholder(variable: string, format: (value: z.ZodString) => z.ZodString = (value) => value): z.ZodString {
  const checked = z
    .string()
    .trim()
    .min(1)
    .refine((v) => !isPlaceholder(variable, v), {
      message: 'is a placeholder (the value from .env.example or a template): set the real value',
      abort: true,
    });
  return format(checked);
}

/** A Twilio account SID: `AC` and 32 hex digits (Twilio console, Account info). Shared with the dev tunnel's config. */
export const twilioAccountSid = notPlaceholder('TWILIO_ACCOUNT_SID', (v) =>
  v.regex(/^AC[0-9a-f]{32}$/i, 'must be an account SID: AC followed by 32 hex digits (Twilio console, Account info)'),
);

/** A Twilio auth token: 32 hex digits. It signs every webhook, so a wrong one fails every call with 403. */
export const twilioAuthToken = notPlaceholder('TWILIO_AUTH_TOKEN', (v) =>
  v.regex(/^[0-9a-f]{32}$/i, "must be the account's auth token: 32 hex digits (Twilio console, Account info)"),
);

/** An OpenAI API key; only obvious placeholders (`sk-...`, `your_key`) are refused, since key formats vary by provider. */
export const openaiApiKey = notPlaceholder('OPENAI_API_KEY', (v) => v.regex(/^\S+$/, 'must be one token without spaces'));

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** Whole milliseconds in [min, max], defaulting to `fallback` when unset or empty. */
const millis = (min: number, max: number, fallback: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).default(fallback));
/** A whole count in [min, max]. */
const count = (min: number, max: number, fallback: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).default(fallback));

const EnvSchema = z
  .object({
    PORT: z.preprocess((v) => (v === '' ? undefined : v), port.default(5050)),
    HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).default('0.0.0.0')),
    PUBLIC_BASE_URL: z.preprocess((v) => (v === '' ? undefined : v), notPlaceholder('PUBLIC_BASE_URL').pipe(httpsOrigin)),
    TWILIO_ACCOUNT_SID: z.preprocess((v) => (v === '' ? undefined : v), twilioAccountSid.optional()),
    TWILIO_AUTH_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), twilioAuthToken),
    TWILIO_PHONE_NUMBER: z.preprocess((v) => (v === '' ? undefined : v), notPlaceholder('TWILIO_PHONE_NUMBER').optional()),
    OPENAI_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), openaiApiKey.optional()),
    OPENAI_REALTIME_URL: z.preprocess((v) => (v === '' ? undefined : v), wsUrl.optional()),
    OPENAI_REALTIME_MODEL: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).default('gpt-realtime')),
    REALTIME_AUDIO_FORMAT: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.enum(REALTIME_AUDIO_FORMATS, { error: `must be one of ${REALTIME_AUDIO_FORMATS.join(', ')}` }).default(DEFAULT_REALTIME_AUDIO_FORMAT),
    ),
    OPENAI_VOICE: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).default('marin')),
    OPENAI_BASE_URL: z.preprocess((v) => (v === '' ? undefined : v), httpUrl.optional()),
    OPENAI_CHAT_MODEL: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).default('gpt-4.1-mini')),
    CLASSIFIER: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['auto', 'llm', 'keyword']).default('auto')),
    AGENTS_FILE: optionalString,
    DATA_DIR: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).default('./data')),
    DATABASE_URL: z.preprocess((v) => (v === '' ? undefined : v), postgresUrl.optional()),
    THREAD_RETENTION_DAYS: z.preprocess((v) => (v === '' ? undefined : v), positiveInt.default(30)),
    STREAM_TOKEN_TTL_MS: z.preprocess((v) => (v === '' ? undefined : v), positiveInt.default(30_000)),
    RECORD_CALLS: optionalString,
    CALLS_API_KEY: z.preprocess(
      (v) => (v === '' ? undefined : v),
      notPlaceholder('CALLS_API_KEY', (v) => v.min(16, 'must be at least 16 characters')).optional(),
    ),
    CONSOLE_SOFTPHONE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).default('true')),
    LOG_LEVEL: z.preprocess((v) => (v === '' ? undefined : v), z.enum(LOG_LEVELS).default('info')),
    ...callRecordEnv,
    // Hardening (README "Security and limits"): HTTP timeouts, REST verification of new calls, liveness watchdogs.
    HTTP_HEADERS_TIMEOUT_MS: millis(1_000, 60_000, 10_000),
    HTTP_REQUEST_TIMEOUT_MS: millis(1_000, 120_000, 15_000),
    HTTP_IDLE_TIMEOUT_MS: millis(1_000, 120_000, 20_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: millis(1_000, 120_000, 5_000),
    HTTP_MAX_REQUESTS_PER_SOCKET: count(1, 100_000, 100),
    MAX_UNAUTHENTICATED_SOCKETS: count(1, 100_000, 200),
    TWILIO_VERIFY_TIMEOUT_MS: millis(100, 10_000, 2_000),
    TWILIO_VERIFY_ON_ERROR: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['answer', 'refuse']).default('answer')),
    REALTIME_CONNECT_TIMEOUT_MS: millis(500, 60_000, 5_000),
    REALTIME_PING_INTERVAL_MS: millis(500, 60_000, 5_000),
    REALTIME_PONG_TIMEOUT_MS: millis(500, 60_000, 5_000),
    RESPONSE_WATCHDOG_MS: millis(500, 60_000, 8_000),
    MEDIA_WATCHDOG_MS: millis(500, 60_000, 5_000),
    // Graceful drain (README "Deploying"): seconds the Twilio routes keep answering after SIGTERM, then the longest wait for live calls.
    DRAIN_GRACE_S: count(0, 300, 5),
    DRAIN_TIMEOUT_S: count(0, 4 * 60 * 60, 600),
    // N instances (README "Running N instances"): this instance's name, and whether stream URLs carry it.
    INSTANCE_ID: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or hyphens (it becomes a URL path segment)')
        .optional(),
    ),
    STREAM_ROUTE_BY_INSTANCE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).default('false')),
    // Realtime session continuity (README "Realtime drops and the session limit"): reconnects per call after a drop,
    // the provider's session limit (3600 s on OpenAI, 1800 s on Azure) and how long before it a rollover may start.
    REALTIME_MAX_RECONNECTS: count(0, 10, 2),
    REALTIME_SESSION_LIMIT_S: count(60, 24 * 60 * 60, 3600),
    REALTIME_ROLLOVER_MARGIN_S: count(10, 60 * 60, 300),
  });

/** Rules across variables, checked on the raw values so they are reported together with per-variable errors. */
function crossFieldIssues(env: Readonly<Record<string, string | undefined>>): string[] {
  const set = (name: string): boolean => (env[name] ?? '').trim() !== '';
  const issues: string[] = [];
  if (!set('OPENAI_API_KEY') && !set('OPENAI_REALTIME_URL')) {
    issues.push('OPENAI_API_KEY is required (or set OPENAI_REALTIME_URL to a local Realtime server that needs no key)');
  }
  if ((env.CLASSIFIER ?? '').trim() === 'llm' && !set('OPENAI_API_KEY')) {
    issues.push('CLASSIFIER is "llm" but OPENAI_API_KEY is not set');
  }
  if ((env.STREAM_ROUTE_BY_INSTANCE ?? '').trim() === 'true' && !set('INSTANCE_ID')) {
    issues.push('STREAM_ROUTE_BY_INSTANCE is "true" but INSTANCE_ID is not set (the stream URL must name this instance)');
  }
  issues.push(...crossFieldRecordIssues(env));
  const limitS = Number(env.REALTIME_SESSION_LIMIT_S?.trim() || 3600);
  const marginS = Number(env.REALTIME_ROLLOVER_MARGIN_S?.trim() || 300);
  if (Number.isFinite(limitS) && Number.isFinite(marginS) && marginS >= limitS) {
    issues.push(`REALTIME_ROLLOVER_MARGIN_S (${marginS}) must be smaller than REALTIME_SESSION_LIMIT_S (${limitS})`);
  }
  return issues;
}

/** The validated, frozen configuration every part of the server reads instead of `process.env`. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** https origin Twilio reaches us at; every public URL (TwiML, signatures) is built from it, never from headers. */
  readonly publicBaseUrl: string;
  readonly twilio: {
    readonly accountSid: string | undefined;
    readonly authToken: string;
    readonly phoneNumber: string | undefined;
    /** Deadline of the REST check of a new CallSid (with `accountSid` set). */
    readonly verifyTimeoutMs: number;
    /** What a failed or late REST check does: answer the call anyway, or refuse it. */
    readonly verifyOnError: 'answer' | 'refuse';
  };
  /** Limits of the public HTTP server (slow or idle clients, socket counts). */
  readonly http: {
    /** A request's headers must be complete within this (slowloris). */
    readonly headersTimeoutMs: number;
    /** A whole request (headers and body) must arrive within this. */
    readonly requestTimeoutMs: number;
    /** A connection with no traffic at all is closed after this. */
    readonly idleTimeoutMs: number;
    /** An idle keep-alive connection is closed after this. */
    readonly keepAliveTimeoutMs: number;
    readonly maxRequestsPerSocket: number;
    /** Connections that have not yet passed a Twilio signature (and stream token) held at once; more are dropped. */
    readonly maxUnauthenticatedSockets: number;
  };
  /** Deadlines that keep both sockets of a call alive or end the call: the caller never sits in dead air. */
  readonly liveness: {
    readonly realtimeConnectTimeoutMs: number;
    readonly realtimePingIntervalMs: number;
    readonly realtimePongTimeoutMs: number;
    /** A requested or started response with no event for this long is retried once, then the call is handed over. */
    readonly responseWatchdogMs: number;
    /** A live stream with no Twilio message for this long ends the call. */
    readonly mediaWatchdogMs: number;
  };
  readonly openai: {
    readonly apiKey: string | undefined;
    /** Realtime endpoint override (a local fake in tests and the demo); undefined means OpenAI's own. */
    readonly realtimeUrl: string | undefined;
    readonly realtimeModel: string;
    /** Audio format on the Realtime wire, both ways: `pcmu` (μ-law 8 kHz, no resampling) or `pcm16` (24 kHz). */
    readonly realtimeAudioFormat: RealtimeAudioFormatName;
    readonly voice: string;
    /** Chat Completions base URL override for the classifier. */
    readonly baseUrl: string | undefined;
    readonly chatModel: string;
  };
  /** Which intent classifier the orchestrator uses; `auto` picks the LLM when an API key is present. */
  readonly classifier: 'llm' | 'keyword';
  readonly agentsFile: string | undefined;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly threadRetentionDays: number;
  readonly streamTokenTtlMs: number;
  /** This instance's name (`INSTANCE_ID`), a URL path segment; undefined when unset. */
  readonly instanceId: string | undefined;
  /**
   * `STREAM_ROUTE_BY_INSTANCE`: the voice webhook's `<Stream url>` ends in `/<INSTANCE_ID>`, so a balancer can send
   * the media stream back to the instance that pre-warmed the call's session (`deploy/nginx/`).
   */
  readonly streamRouteByInstance: boolean;
  /** Graceful drain on SIGTERM/SIGINT (`DRAIN_GRACE_S`, `DRAIN_TIMEOUT_S`): see `src/deploy/drain.ts`. */
  readonly drain: {
    /** How long the Twilio routes keep answering after the signal (the balancer notices `/readyz` meanwhile). */
    readonly graceMs: number;
    /** Longest wait, from the signal, for live calls to end before the remaining ones are ended. */
    readonly timeoutMs: number;
  };
  /** A call's Realtime session continuity: see `src/call/realtime-reconnect.ts`. */
  readonly realtimeSession: {
    /** New sessions a call may open after drops or fatal errors (`REALTIME_MAX_RECONNECTS`); then the apology. */
    readonly maxReconnects: number;
    /** The provider's maximum session duration (`REALTIME_SESSION_LIMIT_S`). */
    readonly limitMs: number;
    /** A proactive rollover waits for a quiet moment from `limitMs - rolloverMarginMs` on (`REALTIME_ROLLOVER_MARGIN_S`). */
    readonly rolloverMarginMs: number;
  };
  /** Directory where every live call is written as a fixture, when set. */
  readonly recordCallsDir: string | undefined;
  /** Bearer key for `POST /calls`; outbound calls are disabled when unset. */
  readonly callsApiKey: string | undefined;
  /** The console's softphone (`CONSOLE_SOFTPHONE`, default true; it exists only with `ADMIN_API_KEY`). */
  readonly consoleSoftphone: boolean;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Call records, the calls API, the post-call webhook and `/metrics` (see `records/record-config.ts`). */
  readonly records: CallRecordConfig;
}

/** Appended when a variable is missing: says where it can be set (`npm start` and `npm run dev` both read `.env`). */
const WHERE_VARIABLES_ARE_READ = 'Variables are read from the environment and from .env in the working directory (the environment wins).';

function formatIssues(env: Readonly<Record<string, string | undefined>>, error: z.ZodError | undefined, extra: string[]): string {
  let missing = extra.length > 0;
  const lines = (error?.issues ?? []).map((issue) => {
    const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
    // Decided on the raw value: zod 4 leaves `issue.input` out, so a bad number (PORT=eighty) looks unset to it.
    const required = (env[variable] ?? '').trim() === '';
    missing ||= required;
    return `${variable} ${required ? 'is required' : issue.message}`;
  });
  lines.push(...extra);
  return `Invalid configuration: ${lines.join('; ')}${missing ? `. ${WHERE_VARIABLES_ARE_READ}` : ''}`;
}

/**
 * The process environment with `.env` from the working directory loaded under it by Node's `process.loadEnvFile`
 * (a variable already set in the environment wins). A missing `.env` is fine: production usually sets the environment.
 */
export function readEnvironment(envFile = '.env'): Readonly<Record<string, string | undefined>> {
  try {
    process.loadEnvFile(envFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return process.env;
}

/**
 * Validates `env`. Tests pass an explicit map; the server passes {@link readEnvironment}'s result, so `process.env`
 * is read once, at startup.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const extra = crossFieldIssues(env);
  if (!parsed.success || extra.length > 0) throw new ConfigError(formatIssues(env, parsed.error, extra));
  const e = parsed.data;
  const classifier = e.CLASSIFIER === 'auto' ? (e.OPENAI_API_KEY ? 'llm' : 'keyword') : e.CLASSIFIER;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      phoneNumber: e.TWILIO_PHONE_NUMBER,
      verifyTimeoutMs: e.TWILIO_VERIFY_TIMEOUT_MS,
      verifyOnError: e.TWILIO_VERIFY_ON_ERROR,
    },
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxRequestsPerSocket: e.HTTP_MAX_REQUESTS_PER_SOCKET,
      maxUnauthenticatedSockets: e.MAX_UNAUTHENTICATED_SOCKETS,
    },
    liveness: {
      realtimeConnectTimeoutMs: e.REALTIME_CONNECT_TIMEOUT_MS,
      realtimePingIntervalMs: e.REALTIME_PING_INTERVAL_MS,
      realtimePongTimeoutMs: e.REALTIME_PONG_TIMEOUT_MS,
      responseWatchdogMs: e.RESPONSE_WATCHDOG_MS,
      mediaWatchdogMs: e.MEDIA_WATCHDOG_MS,
    },
    openai: {
      apiKey: e.OPENAI_API_KEY,
      realtimeUrl: e.OPENAI_REALTIME_URL,
      realtimeModel: e.OPENAI_REALTIME_MODEL,
      realtimeAudioFormat: e.REALTIME_AUDIO_FORMAT,
      voice: e.OPENAI_VOICE,
      baseUrl: e.OPENAI_BASE_URL,
      chatModel: e.OPENAI_CHAT_MODEL,
    },
    classifier,
    agentsFile: e.AGENTS_FILE ? path.resolve(e.AGENTS_FILE) : undefined,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    threadRetentionDays: e.THREAD_RETENTION_DAYS,
    streamTokenTtlMs: e.STREAM_TOKEN_TTL_MS,
    drain: { graceMs: e.DRAIN_GRACE_S * 1000, timeoutMs: e.DRAIN_TIMEOUT_S * 1000 },
    instanceId: e.INSTANCE_ID,
    streamRouteByInstance: e.STREAM_ROUTE_BY_INSTANCE === 'true',
    realtimeSession: {
      maxReconnects: e.REALTIME_MAX_RECONNECTS,
      limitMs: e.REALTIME_SESSION_LIMIT_S * 1000,
      rolloverMarginMs: e.REALTIME_ROLLOVER_MARGIN_S * 1000,
    },
    recordCallsDir: e.RECORD_CALLS ? path.resolve(e.RECORD_CALLS) : undefined,
    callsApiKey: e.CALLS_API_KEY,
    consoleSoftphone: e.CONSOLE_SOFTPHONE === 'true',
    logLevel: e.LOG_LEVEL,
    records: callRecordConfig(e),
  };
  return deepFreeze(config);
}

/** Where records and checkpoints are stored: all a storage-only tool (`npm run calls`) needs. */
export type StorageConfig = Pick<Config, 'dataDir' | 'databaseUrl'>;

const StorageEnvSchema = EnvSchema.pick({ DATA_DIR: true, DATABASE_URL: true });

/** Reads only `DATA_DIR` and `DATABASE_URL`, so the records CLI runs without the server's secrets. */
export function loadStorageConfig(env: Readonly<Record<string, string | undefined>> = process.env): StorageConfig {
  const parsed = StorageEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(formatIssues(env, parsed.error, []));
  return Object.freeze({ dataDir: path.resolve(parsed.data.DATA_DIR), databaseUrl: parsed.data.DATABASE_URL });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object' && !Object.isFrozen(child)) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
