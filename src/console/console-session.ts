/**
 * Console sessions: `POST /console/api/login` trades `ADMIN_API_KEY` (in the JSON body, never in a URL) for a random
 * session id in an `HttpOnly; SameSite=Strict` cookie scoped to `/console`. Sessions live in memory (a restart logs
 * everyone out), expire after `ttlMs`, and are bounded in number so a flood of logins cannot grow memory.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The cookie's name. */
export const SESSION_COOKIE = 'voicebot_console';
/** Sessions last 12 hours. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Live sessions kept at most; the oldest is evicted beyond it. */
export const MAX_SESSIONS = 1_000;

/** Reads one cookie from a `Cookie` header (RFC 6265 `name=value; name2=value2`). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** True for a loopback host, where browsers accept no `Secure` cookie over plain http. */
function isLoopbackHost(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === '127.0.0.1' || name === 'localhost' || name === '::1';
}

/** In-memory console sessions. */
export class ConsoleSessions {
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Insertion order is expiry order (constant TTL). */
  readonly #sessions = new Map<string, number>();

  constructor(options: { readonly ttlMs?: number; readonly now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Opens a session; returns its id (43 base64url characters). */
  open(): string {
    this.#sweep();
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done) break;
      this.#sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, this.#now() + this.#ttlMs);
    return id;
  }

  /** True when `id` is a live session. */
  valid(id: string | undefined): boolean {
    if (id === undefined) return false;
    const expires = this.#sessions.get(id);
    if (expires === undefined) return false;
    if (expires <= this.#now()) {
      this.#sessions.delete(id);
      return false;
    }
    return true;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }

  /** The `Set-Cookie` value for a new session (or, with `undefined`, one that deletes the cookie). */
  cookie(id: string | undefined, request: FastifyRequest): string {
    const secure = isLoopbackHost(request.headers.host) ? '' : '; Secure';
    const value = id ?? '';
    const age = id === undefined ? 0 : Math.floor(this.#ttlMs / 1000);
    return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${age}${secure}`;
  }

  /** The request's session id, if its cookie names a live session. */
  sessionOf(request: FastifyRequest): string | undefined {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    return this.valid(id) ? id : undefined;
  }

  /** Answers 401 unless the request carries a live session; true when it may proceed. */
  require(request: FastifyRequest, reply: FastifyReply): boolean {
    if (this.sessionOf(request) !== undefined) return true;
    void reply.code(401).send({ error: 'not_logged_in' });
    return false;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, expires] of this.#sessions) {
      if (expires > now) break;
      this.#sessions.delete(id);
    }
  }
}
