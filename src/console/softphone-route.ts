/**
 * The console's softphone: a browser speaks the Twilio Media Streams protocol to `/console/media`, and the call goes
 * through the same handshake, `TwilioMediaTransport` and call wiring as a Twilio call. Only authentication differs:
 * instead of a Twilio signature, the upgrade must carry the console session cookie, and `start` must present the
 * single-use stream token that `POST /console/api/softphone` issued to that session (bound to a fresh CallSid).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../http/app.js';
import { acceptStream } from '../http/media-route.js';
import type { Logger } from '../logger.js';
import { readHandshake } from '../telephony/media-handshake.js';
import { wrapWebSocket } from '../telephony/media-socket.js';
import type { ConsoleSessions } from './console-session.js';

/** Path of the softphone's media socket. */
export const SOFTPHONE_MEDIA_PATH = '/console/media';

/** Registers `POST /console/api/softphone` (a CallSid and its stream token) and the media socket. */
export function registerSoftphoneRoutes(app: FastifyInstance, context: RouteContext, sessions: ConsoleSessions): void {
  app.post('/console/api/softphone', async (request, reply) => {
    if (!sessions.require(request, reply)) return reply;
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    // Admitted like a voice webhook's CallSid, so the stream's start marks it served.
    await context.admissions.claim(callSid);
    const token = context.tokenStore.issue(callSid);
    const call = { callSid, accountSid: '', from: 'softphone', to: 'console', direction: 'inbound' };
    request.log.info({ callSid }, 'softphone call answered');
    try {
      context.callHandler.onCallAnswered(call);
    } catch (error) {
      request.log.error({ err: error, callSid }, 'call handler failed on softphone answer');
    }
    return reply.header('cache-control', 'no-store').send({ callSid, token, mediaPath: SOFTPHONE_MEDIA_PATH });
  });

  app.get(
    SOFTPHONE_MEDIA_PATH,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        if (sessions.sessionOf(request) === undefined) {
          request.log.warn('softphone media socket without a console session refused');
          await reply.code(401).send({ error: 'not_logged_in' });
        }
      },
    },
    function softphoneMedia(socket, request) {
      const mediaSocket = wrapWebSocket(socket);
      const logger = request.log as Logger;
      readHandshake({
        socket: mediaSocket,
        clock: context.clock,
        logger,
        onStart: (start) => acceptStream(mediaSocket, start, logger, context),
      });
    },
  );
}
