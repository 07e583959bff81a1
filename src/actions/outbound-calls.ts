/**
 * Places an outbound call that connects back to this server: inline TwiML with `<Connect><Stream>` (the same
 * renderer as inbound calls), a fresh single-use stream token, the agent and the context as `<Parameter>`s, and
 * status callbacks to `/twilio/status`. Shared by `POST /calls` and `scripts/place-call.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { StreamTokenStore } from '../telephony/stream-token-store.js';
import { renderOutboundConnectStream } from '../telephony/twiml.js';
import type { OutboundCallRegistry } from './outbound-call-registry.js';
import type { MachineDetection, PlaceCallResult, TwilioCallControl } from './twilio-call-control.js';

/** Path of Twilio's status callbacks (registered by the webhook routes). */
export const STATUS_CALLBACK_PATH = '/twilio/status';

/**
 * Lifetime of an outbound call's stream token once bound to its CallSid: the callee's phone rings for up to 60 s,
 * answering-machine detection may take 30 s more, and only then does the stream start.
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

/** What placing a call needs. */
export interface OutboundCallDeps {
  readonly control: TwilioCallControl;
  readonly tokenStore: StreamTokenStore;
  /** https origin from `PUBLIC_BASE_URL`. */
  readonly publicBaseUrl: string;
  readonly registry?: OutboundCallRegistry | undefined;
  readonly logger: Logger;
}

/** Places the call; a REST failure comes back as a result and revokes the unused token. */
export async function placeOutboundCall(request: OutboundCallRequest, deps: OutboundCallDeps): Promise<PlaceCallResult> {
  // The CallSid exists only once Twilio has created the call, after the TwiML (with the token) was sent.
  const provisionalKey = `outbound-${randomUUID()}`;
  const token = deps.tokenStore.issue(provisionalKey);
  const twiml = renderOutboundConnectStream({ publicBaseUrl: deps.publicBaseUrl, token, agent: request.agent, context: request.context });
  const result = await deps.control.placeCall({
    to: request.to,
    from: request.from,
    twiml,
    statusCallback: `${deps.publicBaseUrl}${STATUS_CALLBACK_PATH}`,
    machineDetection: request.machineDetection,
  });
  if (!result.ok) {
    deps.tokenStore.revoke(provisionalKey);
    return result;
  }
  if (!deps.tokenStore.rebind(provisionalKey, result.callSid, OUTBOUND_STREAM_TOKEN_TTL_MS)) {
    deps.logger.warn({ callSid: result.callSid }, 'outbound stream token expired before the call was created');
  }
  deps.registry?.placed(result.callSid, request.agent, result.status);
  deps.logger.info({ callSid: result.callSid, agent: request.agent, contextKeys: Object.keys(request.context ?? {}).length }, 'outbound call placed');
  return result;
}
