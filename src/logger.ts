/**
 * The logger setup: one pino logger (handed to Fastify as its instance), one child per call bound with
 * `{ callSid, streamSid }`. Personal data (transcripts, phone numbers, DTMF digits) may only sit under the keys
 * listed in `REDACTED_KEYS`, which pino censors in every log line; messages stay static.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Field names that carry personal data; wherever they appear (top level or one level down) pino censors them. */
export const REDACTED_KEYS = ['transcript', 'text', 'from', 'to', 'caller', 'callee', 'phoneNumber', 'digit', 'digits', 'pii'] as const;

const REDACT_PATHS = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'headers.authorization',
  'headers["x-twilio-signature"]',
];

export type { Logger };

/** Options shared by the production logger and test loggers, so redaction is identical everywhere. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
}

/** Creates the process's root logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
