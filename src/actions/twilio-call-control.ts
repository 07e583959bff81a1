/**
 * `TwilioCallControl`: the three REST operations the telephony actions need (hang up, replace the TwiML, place a
 * call) behind a small interface. The production implementation wraps the real `twilio` client; tests pass a fake
 * that records every request. A REST failure or timeout becomes a result, never an exception, because these run
 * inside a live call (a tool execution, a timer) where a throw would end nothing cleanly.
 */
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../telephony/clock.js';

/** Twilio error code for "The requested resource was not found": the call is already over. */
export const TWILIO_NOT_FOUND_CODE = 20404;

/** Longest a REST request may take before it is reported as failed (the twilio client's own default is 30 s). */
export const REST_TIMEOUT_MS = 10_000;

/** Fields of `calls(sid).update` this project sends. */
export interface CallUpdateParams {
  readonly status?: 'completed';
  readonly twiml?: string;
}

/** Fields of `calls.create` this project sends. */
export interface CallCreateParams {
  readonly to: string;
  readonly from: string;
  readonly twiml: string;
  readonly statusCallback: string;
  readonly statusCallbackEvent: string[];
  readonly statusCallbackMethod: 'POST';
  readonly machineDetection?: MachineDetection;
}

/** Answering-machine detection modes Twilio accepts. */
export type MachineDetection = 'Enable' | 'DetectMessageEnd';

/** The slice of the `twilio` REST client used here; `twilio(accountSid, authToken)` satisfies it. */
export interface TwilioRestClient {
  readonly calls: {
    (sid: string): { update(params: CallUpdateParams): Promise<unknown> };
    create(params: CallCreateParams): Promise<{ readonly sid: string; readonly status?: unknown }>;
  };
}

/** A REST request that did not succeed, in loggable form (no personal data). */
export interface RestFailure {
  readonly ok: false;
  /** Twilio's error code (e.g. 21211 invalid number), when the API sent one. */
  readonly code: number | undefined;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  readonly message: string;
}

/** Outcome of `hangUp`: `alreadyEnded` when Twilio answered 20404. */
export type HangUpResult = { readonly ok: true; readonly alreadyEnded: boolean } | RestFailure;
/** Outcome of `redirectToTwiml`. */
export type RedirectResult = { readonly ok: true } | RestFailure;
/** Outcome of `placeCall`: the new call's SID and its first status. */
export type PlaceCallResult = { readonly ok: true; readonly callSid: string; readonly status: string } | RestFailure;

/** What to dial for an outbound call. */
export interface PlaceCallRequest {
  readonly to: string;
  readonly from: string;
  /** Inline TwiML run when the call is answered. */
  readonly twiml: string;
  readonly statusCallback: string;
  readonly machineDetection?: MachineDetection | undefined;
}

/** The REST operations on calls that the actions need; every method resolves, never rejects. */
export interface TwilioCallControl {
  /** Ends the call (`status: 'completed'`); an already-ended call (20404) is a success with `alreadyEnded`. */
  hangUp(callSid: string): Promise<HangUpResult>;
  /** Replaces the call's TwiML (a transfer); Twilio then sends `stop` on the media stream. */
  redirectToTwiml(callSid: string, twiml: string): Promise<RedirectResult>;
  /** Places an outbound call running `twiml` when answered. */
  placeCall(request: PlaceCallRequest): Promise<PlaceCallResult>;
}

/** Call progress events requested for outbound calls, so the registry sees ringing and answer, not only the end. */
export const OUTBOUND_STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/** Options for {@link createTwilioCallControl}. */
export interface TwilioCallControlOptions {
  readonly client: TwilioRestClient;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
}

/** Wraps a `twilio` REST client as a `TwilioCallControl` with timeouts and failures as results. */
export function createTwilioCallControl(options: TwilioCallControlOptions): TwilioCallControl {
  const { client, logger } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? REST_TIMEOUT_MS;

  async function request<T>(operation: string, send: () => Promise<T>): Promise<{ ok: true; value: T } | RestFailure> {
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(new Error(`Twilio REST ${operation} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const value = await Promise.race([send(), timeout]);
      return { ok: true, value };
    } catch (error) {
      return restFailure(error);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  return {
    async hangUp(callSid) {
      const result = await request('hang-up', () => client.calls(callSid).update({ status: 'completed' }));
      if (result.ok) {
        logger.info({ callSid }, 'twilio call completed');
        return { ok: true, alreadyEnded: false };
      }
      if (result.code === TWILIO_NOT_FOUND_CODE) {
        logger.info({ callSid }, 'twilio call already ended');
        return { ok: true, alreadyEnded: true };
      }
      logger.warn({ callSid, code: result.code, status: result.status, err: result.message }, 'twilio hang-up failed');
      return result;
    },
    async redirectToTwiml(callSid, twiml) {
      const result = await request('redirect', () => client.calls(callSid).update({ twiml }));
      if (result.ok) {
        logger.info({ callSid }, 'twilio call redirected to new twiml');
        return { ok: true };
      }
      logger.warn({ callSid, code: result.code, status: result.status, err: result.message }, 'twilio redirect failed');
      return result;
    },
    async placeCall(call) {
      const params: CallCreateParams = {
        to: call.to,
        from: call.from,
        twiml: call.twiml,
        statusCallback: call.statusCallback,
        statusCallbackEvent: [...OUTBOUND_STATUS_EVENTS],
        statusCallbackMethod: 'POST',
        ...(call.machineDetection === undefined ? {} : { machineDetection: call.machineDetection }),
      };
      const result = await request('create', () => client.calls.create(params));
      if (result.ok) {
        const status = typeof result.value.status === 'string' ? result.value.status : 'queued';
        logger.info({ callSid: result.value.sid, status, to: call.to }, 'twilio outbound call placed');
        return { ok: true, callSid: result.value.sid, status };
      }
      logger.warn({ code: result.code, status: result.status, err: result.message, to: call.to }, 'twilio outbound call failed');
      return result;
    },
  };
}

/** Reads Twilio's `RestException` fields (`status`, `code`) without depending on its class. */
function restFailure(raw: unknown): RestFailure {
  const error = toError(raw);
  const fields = raw as { code?: unknown; status?: unknown } | null;
  return {
    ok: false,
    code: typeof fields?.code === 'number' ? fields.code : undefined,
    status: typeof fields?.status === 'number' ? fields.status : undefined,
    message: error.message,
  };
}
