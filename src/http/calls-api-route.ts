/**
 * The call records API for operators: `GET /api/calls?limit=&before=&agent=&endReason=` (newest first) and
 * `GET /api/calls/:callSid` (the whole record), both behind `Authorization: Bearer <ADMIN_API_KEY>`. Registered
 * only when the key is set: without it the routes do not exist (404).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CallRecordStore } from '../records/call-record-store.js';
import { MAX_LIST_LIMIT } from '../records/call-record-store.js';
import { requireBearer } from './bearer-auth.js';

/** Path prefix of the call records API. */
export const CALLS_API_PATH = '/api/calls';

/** Calls per page when `limit` is not given. */
export const DEFAULT_LIST_LIMIT = 50;

const instant = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });

const ListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
  before: instant.optional(),
  agent: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be an agent name').optional(),
  endReason: z.string().regex(/^[a-z_]{1,40}$/, 'must be an end reason such as twilio_stop').optional(),
});

/** Registers the API when `adminApiKey` is set; does nothing otherwise. */
export function registerCallsApiRoute(app: FastifyInstance, options: { readonly store: CallRecordStore; readonly adminApiKey: string | undefined }): void {
  const { store, adminApiKey } = options;
  if (adminApiKey === undefined) return;

  app.get(CALLS_API_PATH, async function listCalls(request, reply) {
    if (!requireBearer(request, reply, adminApiKey)) return reply;
    const parsed = ListQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(query)', message: issue.message }));
      return reply.code(400).send({ error: 'invalid_query', issues });
    }
    const { limit, before, agent, endReason } = parsed.data;
    const calls = await store.listCalls({ limit, beforeMs: before, agent, endReason });
    // The cursor for the next page: the oldest start on this one.
    const next = calls.length === limit ? calls[calls.length - 1]?.startedAt : undefined;
    return reply.send({ calls, ...(next ? { next: { before: next } } : {}) });
  });

  app.get<{ Params: { callSid: string } }>(`${CALLS_API_PATH}/:callSid`, async function showCall(request, reply) {
    if (!requireBearer(request, reply, adminApiKey)) return reply;
    const callSid = request.params.callSid;
    if (callSid.length > 64) return reply.code(404).send({ error: 'not_found' });
    const record = await store.getCall(callSid);
    if (!record) return reply.code(404).send({ error: 'not_found' });
    return reply.send(record);
  });
}
