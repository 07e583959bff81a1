/**
 * Places an outbound call that connects back to this server: inline TwiML with `<Connect><Stream>` (the same
 * renderer as inbound calls), a fresh single-use stream token, the agent and the context as `<Parameter>`s, and
 * status callbacks to `/twilio/status`. Shared by `POST /calls` and `scripts/place-call.ts`.
 *
 * The CallSid exists only once Twilio has created the call, after the TwiML (with the token) was sent, so the token
 * is issued for a provisional key (`outbound-<uuid>`). With signed tokens (N instances) the key travels as the
 * `streamKey` parameter, the token is signed for it, and the call's row in the shared store binds it to the CallSid
 * when `calls.create` returns: any instance accepts the stream (`media-route.ts`). With the per-process token store
 * the token is moved from the key to the CallSid in this process's memory.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { SignedStreamTokens } from '../telephony/signed-stream-token.js';
import type { StreamTokenStore } from '../telephony/stream-token-store.js';
import { renderOutboundConnectStream } from '../telephony/twiml.js';
import type { OutboundCallStates } from './outbound-call-registry.js';
import type { MachineDetection, PlaceCallResult, TwilioCallControl } from './twilio-call-control.js';

/** Path of Twilio's status callbacks (registered by the webhook routes). */
export const STATUS_CALLBACK_PATH = '/twilio/status';

/** Prefix of an outbound call's provisional stream key. */
export const OUTBOUND_STREAM_KEY_PREFIX = 'outbound-';

/**
 * Lifetime of an outbound call's stream token: the callee's phone rings for up to 60 s, answering-machine detection
 * may take 30 s more, and only then does the stream start.
 */
export const OUTBOUND_STREAM_TOKEN_TTL_MS = 120_000;

/** One outbound call as requested. */
export interface OutboundCallRequest {
  readonly to: string;
  readonly from: string;
  readonly agent?: string | undefined;
  readonly context?: Readonly<Record<string, string>> | undefined;
  readonly machineDetection?: MachineDetection | undefined;
}

/** How the call's stream token is made: the per-process store, or signed (with `OUTBOUND_STREAM_TOKEN_TTL_MS`). */
export type OutboundStreamTokens =
  | { readonly kind: 'per_process'; readonly store: StreamTokenStore }
  | { readonly kind: 'signed'; readonly tokens: SignedStreamTokens };

/** What placing a call needs. */
export interface OutboundCallDeps {
  readonly control: TwilioCallControl;
  readonly tokens: OutboundStreamTokens;
  /** https origin from `PUBLIC_BASE_URL`. */
  readonly publicBaseUrl: string;
  /** Where the call is remembered; required with signed tokens (its row binds the stream key). */
  readonly registry?: OutboundCallStates | undefined;
  readonly logger: Logger;
}

/** Places the call; a REST failure comes back as a result and revokes the unused token. */
export async function placeOutboundCall(request: OutboundCallRequest, deps: OutboundCallDeps): Promise<PlaceCallResult> {
  const streamKey = `${OUTBOUND_STREAM_KEY_PREFIX}${randomUUID()}`;
  const signed = deps.tokens.kind === 'signed';
  if (signed && !deps.registry) throw new Error('signed outbound stream tokens need a registry to bind the stream key');
  const token = deps.tokens.kind === 'signed' ? deps.tokens.tokens.issue(streamKey) : deps.tokens.store.issue(streamKey);
  const twiml = renderOutboundConnectStream({
    publicBaseUrl: deps.publicBaseUrl,
    token,
    ...(signed ? { streamKey } : {}),
    agent: request.agent,
    context: request.context,
  });
  const result = await deps.control.placeCall({
    to: request.to,
    from: request.from,
    twiml,
    statusCallback: `${deps.publicBaseUrl}${STATUS_CALLBACK_PATH}`,
    machineDetection: request.machineDetection,
  });
  if (!result.ok) {
    if (deps.tokens.kind === 'per_process') deps.tokens.store.revoke(streamKey);
    // A signed token names a key nothing will ever bind: no instance accepts it.
    return result;
  }
  if (deps.tokens.kind === 'per_process' && !deps.tokens.store.rebind(streamKey, result.callSid, OUTBOUND_STREAM_TOKEN_TTL_MS)) {
    deps.logger.warn({ callSid: result.callSid }, 'outbound stream token expired before the call was created');
  }
  try {
    await deps.registry?.placed(result.callSid, request.agent, result.status, signed ? streamKey : undefined);
  } catch (error) {
    // The call rings already; without its binding a signed stream is refused, and Twilio then plays the fallback.
    deps.logger.error({ err: error, callSid: result.callSid }, 'outbound call could not be recorded in the shared store');
  }
  deps.logger.info({ callSid: result.callSid, agent: request.agent, contextKeys: Object.keys(request.context ?? {}).length }, 'outbound call placed');
  return result;
}
