/**
 * The project's small error family. Setup code throws these early with a readable message; once a call is live,
 * failures travel as `{ error, recoverable }` events instead (see house style: throw at setup, emit once live).
 */

/** Base class: every error this project raises on purpose carries a stable machine-readable `code`. */
export class VoiceBotError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is missing or malformed; the message names the variable. Raised at startup only. */
export class ConfigError extends VoiceBotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A request failed authentication (bad Twilio signature, unknown or replayed stream token, bad API key). */
export class AuthError extends VoiceBotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AUTH_FAILED', message, options);
  }
}

/** A peer sent something that does not follow its protocol (Twilio Media Streams, OpenAI Realtime). */
export class ProtocolError extends VoiceBotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PROTOCOL_VIOLATION', message, options);
  }
}

/** An external service (Twilio REST, OpenAI, the database) failed or timed out. */
export class UpstreamError extends VoiceBotError {
  readonly recoverable: boolean;

  constructor(message: string, options: { cause?: unknown; recoverable?: boolean } = {}) {
    super('UPSTREAM_FAILED', message, options);
    this.recoverable = options.recoverable ?? true;
  }
}

/** Normalizes anything thrown into an Error so it can be logged and emitted uniformly. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
