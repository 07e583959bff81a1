/**
 * Zod schemas for URL-valued environment variables: one rule, "parses as a URL and its protocol is one of these",
 * shared by `src/config.ts` and the record section it merges (`src/records/record-config.ts`).
 */
import { z } from 'zod';

/** `an` before a scheme whose spoken first letter starts with a vowel sound (`an http://`, `a ws://`). */
function articleFor(scheme: string): 'a' | 'an' {
  return /^[aefhilmnorsx]/i.test(scheme) ? 'an' : 'a';
}

/**
 * A trimmed string that `new URL()` accepts and whose protocol is one of `protocols` (WHATWG form, with the colon:
 * `'https:'`). Anything else fails with `must be a ws:// or wss:// URL`, naming the allowed schemes.
 * @throws Error at construction when `protocols` is empty or an entry does not end in `:`.
 */
export function urlWithProtocol(protocols: readonly string[]): z.ZodString {
  if (protocols.length === 0 || protocols.some((p) => !/^[a-z][a-z0-9+.-]*:$/i.test(p))) {
    throw new Error(`urlWithProtocol wants protocols like 'https:', got ${JSON.stringify(protocols)}`);
  }
  const allowed = protocols.map((p) => p.toLowerCase());
  const schemes = allowed.map((p) => `${p}//`).join(' or ');
  return z
    .string()
    .trim()
    .refine((value) => {
      try {
        return allowed.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be ${articleFor(allowed[0]!)} ${schemes} URL`);
}

/** An `http://` or `https://` URL (an OpenAI-compatible base URL, the post-call webhook). */
export const httpUrl = urlWithProtocol(['http:', 'https:']);

/** A `ws://` or `wss://` URL (a Realtime server). */
export const wsUrl = urlWithProtocol(['ws:', 'wss:']);
