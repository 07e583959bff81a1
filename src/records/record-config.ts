/**
 * The environment variables of call records, the calls API, the post-call webhook and `/metrics`, as zod schema
 * fragments that `src/config.ts` (still the only reader of `process.env`) merges into its own, and the typed,
 * validated section they become: `config.records`.
 */
import { z } from 'zod';
import { httpUrl } from '../url-with-protocol.js';
import type { PhoneNumberPolicy } from './phone-mask.js';
import type { RealtimePrices } from './price-table.js';

const unsetIfEmpty = (v: unknown): unknown => (v === '' ? undefined : v);
const positiveInt = z.coerce.number().int().positive();
const secret = (what: string) => z.string().trim().min(16, `must be at least 16 characters (${what})`);

const booleanText = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const price = z.number().finite().nonnegative();
const PricesSchema = z.strictObject({
  textInput: price,
  cachedTextInput: price,
  audioInput: price,
  cachedAudioInput: price,
  textOutput: price,
  audioOutput: price,
});

const pricesJson = z.string().transform((text, ctx) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"textInput":4,"cachedTextInput":0.4,"audioInput":32,"cachedAudioInput":0.4,"textOutput":16,"audioOutput":64}' });
    return z.NEVER;
  }
  const parsed = PricesSchema.safeParse(value);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: `must give USD per million tokens for ${Object.keys(PricesSchema.shape).join(', ')}` });
    return z.NEVER;
  }
  return parsed.data;
});

/** Schema fragments merged into the environment schema of `src/config.ts`. */
export const callRecordEnv = {
  RECORD_PHONE_NUMBERS: z.preprocess(unsetIfEmpty, z.enum(['masked', 'full']).default('masked')),
  STORE_TRANSCRIPTS: z.preprocess(unsetIfEmpty, booleanText.optional()),
  RECORD_RETENTION_DAYS: z.preprocess(unsetIfEmpty, positiveInt.default(30)),
  REALTIME_PRICES: z.preprocess(unsetIfEmpty, pricesJson.optional()),
  ADMIN_API_KEY: z.preprocess(unsetIfEmpty, secret('a bearer key for /api/calls').optional()),
  CALL_WEBHOOK_URL: z.preprocess(unsetIfEmpty, httpUrl.optional()),
  CALL_WEBHOOK_SECRET: z.preprocess(unsetIfEmpty, secret('the HMAC key of X-Voicebot-Signature').optional()),
  CALL_WEBHOOK_RETRY_BASE_MS: z.preprocess(unsetIfEmpty, positiveInt.default(5_000)),
  CALL_WEBHOOK_RETRY_MAX_MS: z.preprocess(unsetIfEmpty, positiveInt.default(3_600_000)),
  METRICS_BEARER_TOKEN: z.preprocess(unsetIfEmpty, secret('a bearer token for /metrics').optional()),
};

type RecordEnv = z.output<z.ZodObject<typeof callRecordEnv>>;

/** Rules across variables, reported with the rest of the configuration's errors. */
export function crossFieldRecordIssues(env: Readonly<Record<string, string | undefined>>): string[] {
  const set = (name: string): boolean => (env[name] ?? '').trim() !== '';
  const issues: string[] = [];
  if (set('CALL_WEBHOOK_URL') && !set('CALL_WEBHOOK_SECRET')) issues.push('CALL_WEBHOOK_SECRET is required when CALL_WEBHOOK_URL is set');
  const base = Number(env.CALL_WEBHOOK_RETRY_BASE_MS || 5_000);
  const max = Number(env.CALL_WEBHOOK_RETRY_MAX_MS || 3_600_000);
  if (Number.isFinite(base) && Number.isFinite(max) && max < base) issues.push('CALL_WEBHOOK_RETRY_MAX_MS must not be below CALL_WEBHOOK_RETRY_BASE_MS');
  return issues;
}

/** The post-call webhook, when `CALL_WEBHOOK_URL` is set. */
export interface CallWebhookConfig {
  readonly url: string;
  /** HMAC-SHA256 key of `X-Voicebot-Signature`. */
  readonly secret: string;
  /** First retry delay; each further retry doubles it (with jitter) up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** `config.records`. */
export interface CallRecordConfig {
  /** `masked` (default: `+1******0123`) or `full` (`RECORD_PHONE_NUMBERS=full`). */
  readonly phoneNumbers: PhoneNumberPolicy;
  /** False with `STORE_TRANSCRIPTS=false`: records keep everything but the words. */
  readonly storeTranscripts: boolean;
  /** Records older than this many days are deleted at boot and daily. */
  readonly retentionDays: number;
  /** Price table override (`REALTIME_PRICES`); the built-in table for the model otherwise. */
  readonly prices: RealtimePrices | undefined;
  /** Bearer key of `GET /api/calls`; the routes are absent when unset. */
  readonly adminApiKey: string | undefined;
  readonly webhook: CallWebhookConfig | undefined;
  /** Bearer token `/metrics` requires, when set. */
  readonly metricsBearerToken: string | undefined;
}

/** The validated section. */
export function callRecordConfig(e: RecordEnv): CallRecordConfig {
  return {
    phoneNumbers: e.RECORD_PHONE_NUMBERS,
    storeTranscripts: e.STORE_TRANSCRIPTS ?? true,
    retentionDays: e.RECORD_RETENTION_DAYS,
    prices: e.REALTIME_PRICES,
    adminApiKey: e.ADMIN_API_KEY,
    webhook:
      e.CALL_WEBHOOK_URL && e.CALL_WEBHOOK_SECRET
        ? { url: e.CALL_WEBHOOK_URL, secret: e.CALL_WEBHOOK_SECRET, retryBaseMs: e.CALL_WEBHOOK_RETRY_BASE_MS, retryMaxMs: e.CALL_WEBHOOK_RETRY_MAX_MS }
        : undefined,
    metricsBearerToken: e.METRICS_BEARER_TOKEN,
  };
}
