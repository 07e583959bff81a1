/**
 * The signed Twilio webhooks: the voice webhook that answers a call with `<Connect><Stream>`, the `<Connect action>`
 * fallback fetched when the stream ends, and status callbacks. Every route is behind the signature hook.
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import type { Config } from '../config.js';
import type { CallHandler } from '../telephony/call-handler.js';
import type { StreamTokenStore } from '../telephony/stream-token-store.js';
import { STREAM_ENDED_PATH, renderConnectStream, renderEmptyResponse, renderSayAndHangup } from '../telephony/twiml.js';
import { formField, formFields } from './form-fields.js';
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
}

/**
 * Registers `/twilio/voice` and `/twilio/status` (POST, or GET when the number is set to HTTP GET in the console) and
 * `POST /twilio/stream-ended` (the `<Connect action>` this server renders, always POST).
 */
export function registerTwilioWebhookRoutes(app: FastifyInstance, options: TwilioWebhookRoutesOptions): void {
  const { config, callHandler, tokenStore } = options;
  const preValidation = webhookSignatureHook(config.twilio.authToken, config.publicBaseUrl);

  const answerCall: RouteHandlerMethod = async function answerCall(request, reply) {
    const params = webhookParams(request);
    const callSid = formField(params, 'CallSid');
    if (!callSid) {
      request.log.warn('voice webhook without CallSid');
      return reply.code(400).type(XML).send(renderSayAndHangup());
    }
    const call = {
      callSid,
      accountSid: formField(params, 'AccountSid') ?? '',
      from: formField(params, 'From') ?? '',
      to: formField(params, 'To') ?? '',
      direction: formField(params, 'Direction') ?? '',
    };
    const token = tokenStore.issue(callSid);
    const twiml = renderConnectStream({ publicBaseUrl: config.publicBaseUrl, token, callSid, from: call.from, to: call.to });
    request.log.info({ callSid, direction: call.direction, from: call.from, to: call.to }, 'call answered');
    try {
      callHandler.onCallAnswered(call);
    } catch (error) {
      // The caller still gets the stream; the handler can retry its pre-warm when the stream starts.
      request.log.error({ err: error, callSid }, 'call handler failed on answer');
    }
    return reply.type(XML).send(twiml);
  };
  app.post(VOICE_PATH, { preValidation }, answerCall);
  app.get(VOICE_PATH, { preValidation }, answerCall);

  app.post(STREAM_ENDED_PATH, { preValidation }, async function streamEnded(request, reply) {
    const callSid = formField(request.body, 'CallSid') ?? '';
    let twiml: string | undefined;
    try {
      twiml = callSid ? callHandler.streamEndedTwiml?.(callSid) : undefined;
    } catch (error) {
      request.log.error({ err: error, callSid }, 'call handler failed to choose the stream-ended TwiML');
    }
    request.log.info({ callSid, custom: twiml !== undefined }, 'stream ended; returning fallback TwiML');
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
    request.log.info(
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
  app.post(STATUS_PATH, { preValidation }, statusCallback);
  app.get(STATUS_PATH, { preValidation }, statusCallback);
}
