/**
 * The signed Twilio webhooks: the voice webhook that answers a call with `<Connect><Stream>`, the `<Connect action>`
 * fallback fetched when the stream ends, and status callbacks. Every route is behind the signature hook.
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import type { Config } from '../config.js';
import type { CallHandler } from '../telephony/call-handler.js';
import type { RateLimitedLog } from '../rate-limited-log.js';
import type { CallAdmissionStore } from '../telephony/call-admission-store.js';
import type { CallStatusVerifier } from '../telephony/call-status-verifier.js';
import type { StreamTokenStore } from '../telephony/stream-token-store.js';
import { STREAM_ENDED_PATH, renderConnectStream, renderEmptyResponse, renderSayAndHangup } from '../telephony/twiml.js';
import { formField, formFields } from './form-fields.js';
import type { ConnectionGuard } from './connection-guard.js';
import { closeAfterRefusal, screenTwilioRequest, TWILIO_FORM_MAX_BODY_BYTES } from './twilio-form-limits.js';
import { webhookSignatureHook } from './twilio-signature-hook.js';
import { webhookParams } from './webhook-params.js';

/** Path of the voice webhook a Twilio number points at. */
export const VOICE_PATH = '/twilio/voice';
/** Path of the call/stream status callback. */
export const STATUS_PATH = '/twilio/status';

const XML = 'text/xml; charset=utf-8';

/** Options for `registerTwilioWebhookRoutes`. */
export interface TwilioWebhookRoutesOptions {
  readonly config: Config;
  readonly callHandler: CallHandler;
  readonly tokenStore: StreamTokenStore;
  /** Issues self-contained tokens (any instance can serve the stream) instead of the per-process store's. */
  readonly issueToken?: ((callSid: string) => string) | undefined;
  /** The "answered once" record of CallSids. */
  readonly admissions: CallAdmissionStore;
  /** Twilio REST check of an unknown CallSid before it is answered; absent without REST credentials. */
  readonly verifier?: CallStatusVerifier | undefined;
  /** Rate-limits the lines a request can trigger. */
  readonly peerLog: RateLimitedLog;
  /** Told when a connection carried a correctly signed request. */
  readonly guard?: ConnectionGuard | undefined;
}

/**
 * Registers `/twilio/voice` and `/twilio/status` (POST, or GET when the number is set to HTTP GET in the console) and
 * `POST /twilio/stream-ended` (the `<Connect action>` this server renders, always POST).
 */
export function registerTwilioWebhookRoutes(app: FastifyInstance, options: TwilioWebhookRoutesOptions): void {
  const { config, callHandler, tokenStore, admissions, verifier, peerLog, guard } = options;
  const issueToken = options.issueToken ?? ((callSid: string) => tokenStore.issue(callSid));
  // Order per request: content type (415) before the body is read, size (413) and field count (400) while it is
  // parsed, then the signature (403): a flood of junk never reaches the signature's work.
  const routeOptions = {
    onRequest: screenTwilioRequest,
    onSend: closeAfterRefusal,
    bodyLimit: TWILIO_FORM_MAX_BODY_BYTES,
    preValidation: webhookSignatureHook(config.twilio.authToken, config.publicBaseUrl, peerLog, guard),
  };

  const answerCall: RouteHandlerMethod = async function answerCall(request, reply) {
    const params = webhookParams(request);
    const callSid = formField(params, 'CallSid');
    if (!callSid) {
      peerLog.warn({}, 'voice webhook without CallSid');
      return reply.code(400).type(XML).send(renderSayAndHangup());
    }
    // A CallSid is answered once: a replay gets no token and opens nothing, and a duplicate leaves the first alone.
    const verdict = await admissions.claim(callSid);
    if (verdict !== 'admitted') {
      peerLog.warn({ callSid, verdict }, 'voice webhook for an answered CallSid refused');
      return reply.code(403).send();
    }
    if (verifier) {
      const live = await verifier.verify(callSid);
      if (!live.ok) {
        peerLog.warn({ callSid, reason: live.reason, status: live.status }, 'voice webhook for a call that is not live refused');
        return reply.code(403).send();
      }
    }
    const call = {
      callSid,
      accountSid: formField(params, 'AccountSid') ?? '',
      from: formField(params, 'From') ?? '',
      to: formField(params, 'To') ?? '',
      direction: formField(params, 'Direction') ?? '',
    };
    const token = issueToken(callSid);
    const instanceId = config.streamRouteByInstance ? config.instanceId : undefined;
    const twiml = renderConnectStream({ publicBaseUrl: config.publicBaseUrl, token, callSid, from: call.from, to: call.to, instanceId });
    request.log.info({ callSid, direction: call.direction, from: call.from, to: call.to }, 'call answered');
    try {
      callHandler.onCallAnswered(call);
    } catch (error) {
      // The caller still gets the stream; the handler can retry its pre-warm when the stream starts.
      request.log.error({ err: error, callSid }, 'call handler failed on answer');
    }
    return reply.type(XML).send(twiml);
  };
  app.post(VOICE_PATH, routeOptions, answerCall);
  app.get(VOICE_PATH, routeOptions, answerCall);

  app.post(STREAM_ENDED_PATH, routeOptions, async function streamEnded(request, reply) {
    const callSid = formField(request.body, 'CallSid') ?? '';
    let twiml: string | undefined;
    try {
      twiml = callSid ? callHandler.streamEndedTwiml?.(callSid) : undefined;
    } catch (error) {
      request.log.error({ err: error, callSid }, 'call handler failed to choose the stream-ended TwiML');
    }
    // A signed request can be replayed at will: its line is rate-limited like any other a peer can trigger.
    peerLog.info({ callSid, custom: twiml !== undefined }, 'stream ended; returning fallback TwiML');
    return reply.type(XML).send(twiml ?? renderSayAndHangup());
  });

  const statusCallback: RouteHandlerMethod = async function statusCallback(request, reply) {
    const params = formFields(webhookParams(request));
    const status = {
      callSid: params.CallSid ?? '',
      callStatus: params.CallStatus,
      streamSid: params.StreamSid,
      streamEvent: params.StreamEvent,
      params,
    };
    peerLog.info(
      { callSid: status.callSid, callStatus: status.callStatus, streamSid: status.streamSid, streamEvent: status.streamEvent },
      'twilio status callback',
    );
    try {
      callHandler.onStatus?.(status);
    } catch (error) {
      request.log.error({ err: error, callSid: status.callSid }, 'call handler failed on status callback');
    }
    return reply.type(XML).send(renderEmptyResponse());
  };
  app.post(STATUS_PATH, routeOptions, statusCallback);
  app.get(STATUS_PATH, routeOptions, statusCallback);
}
