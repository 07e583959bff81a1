/**
 * `GET /twilio/media`: the bidirectional Media Stream socket. Order matters and is the security boundary:
 * the upgrade's signature is checked in a preValidation hook (a forged upgrade gets 403 and no handler runs),
 * then the handshake is read, then the single-use token from `start.customParameters` is consumed; only then
 * is a transport built and handed to the call handler, which may open the paid Realtime session.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RateLimitedLog } from '../rate-limited-log.js';
import type { CallAdmissionStore } from '../telephony/call-admission-store.js';
import type { CallHandler } from '../telephony/call-handler.js';
import type { Clock } from '../telephony/clock.js';
import { CLOSE_POLICY_VIOLATION, readHandshake } from '../telephony/media-handshake.js';
import { wrapWebSocket, type MediaSocket } from '../telephony/media-socket.js';
import { TwilioMediaTransport } from '../telephony/media-transport.js';
import type { StreamTokenStore } from '../telephony/stream-token-store.js';
import { isSignedStreamToken, type SignedStreamTokens } from '../telephony/signed-stream-token.js';
import type { StreamStart } from '../telephony/twilio-messages.js';
import type { ConnectionGuard } from './connection-guard.js';
import { MEDIA_STREAM_PATH } from '../telephony/twiml.js';
import { OUTBOUND_STREAM_KEY_PREFIX } from '../actions/outbound-calls.js';
import { upgradeSignatureHook } from './twilio-signature-hook.js';

/** Wraps an authenticated media socket before the handshake; sees every frame, `connected` and `start` included. */
export type MediaSocketDecorator = (socket: MediaSocket, logger: Logger) => MediaSocket;

/** Options for `registerMediaRoute`. */
export interface MediaRouteOptions {
  readonly config: Config;
  readonly callHandler: CallHandler;
  readonly tokenStore: StreamTokenStore;
  /**
   * Self-contained tokens and the shared record of their use: a stream presenting one is accepted on any instance,
   * once (the nonce's atomic insert decides before the call handler runs).
   */
  readonly signed?: {
    readonly tokens: SignedStreamTokens;
    useStreamToken(nonce: string, callSid: string, expiresAtMs: number): Promise<boolean>;
    /**
     * Outbound calls' stream keys bound to their CallSids (the shared store): a stream presenting a `streamKey`
     * parameter is accepted when its token was signed for that key and the key was bound to the stream's CallSid.
     * Without it such streams are refused.
     */
    readonly outboundCalls?: { callSidForStreamKey(streamKey: string): Promise<string | undefined> } | undefined;
  } | undefined;
  readonly clock: Clock;
  /** Told when a stream starts, so its CallSid is never answered again. */
  readonly admissions: CallAdmissionStore;
  /** Rate-limits the lines a socket can trigger before it is authenticated. */
  readonly peerLog: RateLimitedLog;
  /** Told when a stream presented a valid token: its connection is authenticated. */
  readonly guard?: ConnectionGuard | undefined;
  readonly handshakeTimeoutMs?: number;
  readonly decorateMediaSocket?: MediaSocketDecorator;
}

/** Registers the media socket route; `@fastify/websocket` must be registered first. */
export function registerMediaRoute(app: FastifyInstance, options: MediaRouteOptions): void {
  const preValidation = upgradeSignatureHook(options.config.twilio.authToken, options.config.publicBaseUrl, options.peerLog);
  // `/twilio/media/<instance>` (STREAM_ROUTE_BY_INSTANCE) is the same socket: the segment is for the balancer, and a
  // stream the balancer sent elsewhere (its instance gone) is served like any other.
  app.get(MEDIA_STREAM_PATH, { websocket: true, preValidation }, mediaStream);
  app.get(`${MEDIA_STREAM_PATH}/:instance`, { websocket: true, preValidation }, mediaStream);
  function mediaStream(this: FastifyInstance, socket: WebSocket, request: FastifyRequest): void {
    const raw = wrapWebSocket(socket);
    const mediaSocket = options.decorateMediaSocket ? options.decorateMediaSocket(raw, request.log as Logger) : raw;
    readHandshake({
      socket: mediaSocket,
      clock: options.clock,
      logger: request.log as Logger,
      peerLog: options.peerLog,
      ...(options.handshakeTimeoutMs === undefined ? {} : { timeoutMs: options.handshakeTimeoutMs }),
      onStart: (start) => {
        if (acceptStream(mediaSocket, start, request.log as Logger, options)) options.guard?.trust(request.raw.socket);
      },
    });
  }
}

/**
 * Runs synchronously on `start`, so frames after it reach the transport's listener; true when the token was valid.
 * Also the console softphone's path into the call wiring: only the authentication before it differs.
 */
export function acceptStream(socket: MediaSocket, start: StreamStart, requestLogger: Logger, options: MediaRouteOptions): boolean {
  const logger = requestLogger.child({ callSid: start.callSid, streamSid: start.streamSid });
  const presented = start.customParameters.token;
  if (options.signed && isSignedStreamToken(presented)) return acceptSignedStream(socket, start, logger, options.signed, options);
  const verdict = options.tokenStore.consume(start.callSid, presented);
  if (!verdict.ok) {
    options.peerLog.warn({ callSid: start.callSid, reason: verdict.reason }, 'media stream token refused');
    socket.close(CLOSE_POLICY_VIOLATION, 'unauthorized');
    return false;
  }
  startCall(socket, start, logger, options);
  return true;
}

/** How often and how long a stream waits for its outbound call's binding (`calls.create` may still be returning). */
export const STREAM_KEY_BINDING_POLL_MS = 100;
export const STREAM_KEY_BINDING_WAIT_MS = 2_000;

/**
 * A signed token: signature, CallSid (or, for an outbound call, its stream key) and expiry are checked now; the
 * transport is built at once so the frames that follow `start` are queued, and the call handler (which may open the
 * paid Realtime session) runs only once the shared store has confirmed an outbound key's binding and recorded the
 * token's first use. A replay anywhere closes with 1008 and opens nothing.
 */
function acceptSignedStream(
  socket: MediaSocket,
  start: StreamStart,
  logger: Logger,
  signed: NonNullable<MediaRouteOptions['signed']>,
  options: MediaRouteOptions,
): boolean {
  const streamKey = start.customParameters.streamKey;
  const refuse = (reason: string): false => {
    options.peerLog.warn({ callSid: start.callSid, reason }, 'media stream token refused');
    socket.close(CLOSE_POLICY_VIOLATION, 'unauthorized');
    return false;
  };
  if (streamKey !== undefined && (!streamKey.startsWith(OUTBOUND_STREAM_KEY_PREFIX) || !signed.outboundCalls)) return refuse('malformed');
  const verdict = signed.tokens.verify(streamKey ?? start.callSid, start.customParameters.token ?? '');
  if (!verdict.ok) return refuse(verdict.reason);
  const { nonce, expiresAtMs, resume } = verdict.claims;
  const transport = mediaTransportFor(socket, start, logger, options);
  const bound = streamKey === undefined || !signed.outboundCalls ? Promise.resolve(true) : boundTo(signed.outboundCalls, streamKey, start.callSid, options.clock);
  bound
    .then(async (ok) => {
      if (!ok) return 'wrong_call' as const;
      return (await signed.useStreamToken(nonce, start.callSid, expiresAtMs)) ? ('first' as const) : ('reused' as const);
    })
    .then(
      (outcome) => {
        if (outcome !== 'first') {
          refuse(outcome);
          return;
        }
        startCall(socket, start, logger, options, transport, resume);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shared store failed to record the stream token; closing the stream');
        transport.close('token store failed');
      },
    );
  return true;
}

/** True when `streamKey` is (or, within the wait, becomes) bound to `callSid`. */
async function boundTo(
  outboundCalls: NonNullable<NonNullable<MediaRouteOptions['signed']>['outboundCalls']>,
  streamKey: string,
  callSid: string,
  clock: Clock,
): Promise<boolean> {
  const deadline = clock.now() + STREAM_KEY_BINDING_WAIT_MS;
  for (;;) {
    const bound = await outboundCalls.callSidForStreamKey(streamKey);
    if (bound !== undefined) return bound === callSid;
    if (clock.now() >= deadline) return false;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, STREAM_KEY_BINDING_POLL_MS));
  }
}

/** The stream's transport, exchanging PCM at the rate of the configured Realtime wire format (`REALTIME_AUDIO_FORMAT`). */
function mediaTransportFor(socket: MediaSocket, start: StreamStart, logger: Logger, options: MediaRouteOptions): TwilioMediaTransport {
  return new TwilioMediaTransport({
    socket,
    streamSid: start.streamSid,
    logger,
    clock: options.clock,
    audioFormat: options.config.openai.realtimeAudioFormat,
  });
}

/** Hands an authenticated stream to the call handler. */
function startCall(socket: MediaSocket, start: StreamStart, logger: Logger, options: MediaRouteOptions, built?: TwilioMediaTransport, resume = false): void {
  // From here the CallSid is served: a replayed voice webhook for it gets 403 (not awaited: frames may follow).
  options.admissions.markStreamStarted(start.callSid).catch((error: unknown) => logger.error({ err: error }, 'admission store failed to record the stream'));
  const transport = built ?? mediaTransportFor(socket, start, logger, options);
  logger.info({ tracks: start.tracks, resume }, 'media stream started');
  try {
    options.callHandler.onStreamStarted({ start, transport, logger, ...(resume ? { resume } : {}) });
  } catch (error) {
    logger.error({ err: error }, 'call handler failed on stream start; closing the stream');
    transport.close('handler failed');
  }
}
