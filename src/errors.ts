/**
 * The project's small error family. `ConfigError` is for configuration only (startup, the catalogue, the dev
 * tunnel's files); a Realtime session that cannot be opened is a `RealtimeConnectError`. Once a session is live,
 * failures travel as `{ error, recoverable }` events instead (house style: throw at setup, emit once live).
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

/**
 * The Realtime session of a call could not be opened (socket refused, upgrade never answered within the connect
 * deadline, closed during setup). Not a configuration problem: the call owner hands the caller to the fallback.
 */
export class RealtimeConnectError extends VoiceBotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REALTIME_CONNECT_FAILED', message, options);
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
