/**
 * The live call console under `/console`, registered only when `ADMIN_API_KEY` is set (absent, 404, otherwise):
 *
 * - `GET /console/` and its assets: the Vite-built front end (`web/console/dist`, built by `npm run build`).
 * - `POST /console/api/login {"key"}` → 204 and the session cookie; 401 on a wrong key. `POST /console/api/logout`.
 * - `GET /console/api/session` → `{ loggedIn, softphone }`.
 * - `GET /console/api/live`: Server-Sent Events of the live calls board (`LiveEventStream`: snapshot, then batches).
 * - `GET /console/api/calls[?limit&agent&endReason&before]` and `/console/api/calls/:callSid`: the call records.
 * - The softphone (`softphone-route.ts`) when `CONSOLE_SOFTPHONE` is not `false`.
 *
 * Every `/console/api` route but login needs the session cookie; the key itself is only ever in a login body.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../http/app.js';
import { keyMatches } from '../http/bearer-auth.js';
import type { CallRecordStore } from '../records/call-record-store.js';
import { MAX_LIST_LIMIT } from '../records/call-record-store.js';
import { ConsoleSessions } from './console-session.js';
import type { LiveCallBoard } from './live-board.js';
import { LiveEventStream } from './live-event-stream.js';
import { registerSoftphoneRoutes } from './softphone-route.js';

/** Where Vite writes the front end (relative to this module, the same from `src/console` and `dist/console`). */
export const CONSOLE_DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/console/dist');

/** Options of {@link registerConsoleRoutes}. */
export interface ConsoleRoutesOptions {
  readonly adminApiKey: string | undefined;
  readonly board: LiveCallBoard;
  readonly records: CallRecordStore;
  /** The softphone is on unless this is false (`CONSOLE_SOFTPHONE=false`). */
  readonly softphone: boolean;
  readonly sessions?: ConsoleSessions;
  readonly distDir?: string;
  readonly batchMs?: number;
}

const LoginBody = z.strictObject({ key: z.string().min(1).max(512) });
const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(50),
  before: z.coerce.number().int().positive().optional(),
  agent: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be an agent name').optional(),
  endReason: z.string().regex(/^[a-z_]{1,40}$/, 'must be an end reason').optional(),
});

/** Registers the console when the key is set. */
export async function registerConsoleRoutes(app: FastifyInstance, context: RouteContext, options: ConsoleRoutesOptions): Promise<void> {
  const { adminApiKey, board, records } = options;
  if (adminApiKey === undefined) return;
  const sessions = options.sessions ?? new ConsoleSessions();
  const distDir = options.distDir ?? CONSOLE_DIST_DIR;

  app.get('/console', async (_request, reply) => reply.redirect('/console/'));
  if (existsSync(path.join(distDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: distDir, prefix: '/console/', wildcard: false, index: 'index.html' });
  } else {
    app.log.warn({ distDir }, 'console front end not built (npm run build): /console/ answers 503');
    app.get('/console/', async (_request, reply) => reply.code(503).type('text/plain').send('The console front end is not built: run npm run build.\n'));
  }

  app.post('/console/api/login', async (request, reply) => {
    const parsed = LoginBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_body', message: 'expected {"key": "<ADMIN_API_KEY>"}' });
    if (!keyMatches(parsed.data.key, adminApiKey)) {
      request.log.warn('console login refused');
      return reply.code(401).send({ error: 'wrong_key' });
    }
    const id = sessions.open();
    return reply.code(204).header('set-cookie', sessions.cookie(id, request)).header('cache-control', 'no-store').send();
  });

  app.post('/console/api/logout', async (request, reply) => {
    sessions.close(sessions.sessionOf(request));
    return reply.code(204).header('set-cookie', sessions.cookie(undefined, request)).send();
  });

  app.get('/console/api/session', async (request, reply) =>
    reply.header('cache-control', 'no-store').send({ loggedIn: sessions.sessionOf(request) !== undefined, softphone: options.softphone }),
  );

  // An event stream never goes idle: end them all before the server closes, or its close would wait for them.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of openStreams) end();
    done();
  });

  app.get('/console/api/live', async (request, reply) => {
    if (!sessions.require(request, reply)) return reply;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.write('retry: 2000\n\n');
    const stream = new LiveEventStream({ board, sink: raw, ...(options.batchMs === undefined ? {} : { batchMs: options.batchMs }) });
    const end = (): void => {
      stream.close();
      openStreams.delete(end);
      if (!raw.writableEnded) raw.end();
    };
    openStreams.add(end);
    raw.on('close', end);
    request.raw.on('close', end);
  });

  app.get('/console/api/calls', async (request, reply) => {
    if (!sessions.require(request, reply)) return reply;
    const parsed = ListQuery.safeParse(request.query ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ error: 'invalid_query', issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
    }
    const { limit, before, agent, endReason } = parsed.data;
    return reply.send({ calls: await records.listCalls({ limit, beforeMs: before, agent, endReason }) });
  });

  app.get<{ Params: { callSid: string } }>('/console/api/calls/:callSid', async (request, reply) => {
    if (!sessions.require(request, reply)) return reply;
    const { callSid } = request.params;
    const live = board.get(callSid);
    const record = callSid.length <= 64 ? await records.getCall(callSid) : undefined;
    if (!record && !live) return reply.code(404).send({ error: 'not_found' });
    return reply.send({ record: record ?? null, live: live ?? null });
  });

  if (options.softphone) registerSoftphoneRoutes(app, context, sessions);
}
