/**
 * Startup helper for entry points (`npm start`, `npm run dev`, CLI scripts): a bad configuration prints its one
 * readable message, naming the variable, and exits 1 instead of a stack trace.
 */
import { ConfigError } from './errors.js';

/** Runs `load`; on a `ConfigError` writes its message to stderr and exits the process with status 1. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
