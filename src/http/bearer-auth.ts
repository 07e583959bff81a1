/**
 * Bearer-token checks for the operator routes (`/api/calls`, `/metrics`): the key is compared in constant time
 * (SHA-256 of both sides first, so neither the content nor the length of the expected key leaks through timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function keyMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Answers 401 (with `WWW-Authenticate: Bearer`) unless the request carries `expected`; true when it may proceed. */
export function requireBearer(request: FastifyRequest, reply: FastifyReply, expected: string): boolean {
  const presented = bearerToken(request);
  if (presented !== undefined && keyMatches(presented, expected)) return true;
  request.log.warn({ presented: presented !== undefined, url: request.routeOptions.url }, 'operator request refused');
  void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
  return false;
}
