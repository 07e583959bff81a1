/**
 * The TwiML documents this server returns, as pure functions of their inputs (rendered with the `twilio` library's
 * `VoiceResponse`). Golden copies live in `twiml/*.xml` and tests compare them byte for byte.
 */
import twilio from 'twilio';
import { toWebSocketOrigin } from './signature.js';

/** Path of the bidirectional media socket. */
export const MEDIA_STREAM_PATH = '/twilio/media';
/** Path Twilio fetches (`<Connect action>`) when our side closes the media socket. */
export const STREAM_ENDED_PATH = '/twilio/stream-ended';

/** What the spoken fallback says when the stream ends without a better plan from the call. */
export const DEFAULT_APOLOGY = 'Sorry, we could not continue this call. Please try again later. Goodbye.';

/** Inputs of the answering document; everything is per call except the public origin. */
export interface ConnectStreamInput {
  /** https origin from `PUBLIC_BASE_URL`. */
  readonly publicBaseUrl: string;
  /** Single-use stream token, checked when `start` arrives. */
  readonly token: string;
  readonly callSid: string;
  readonly from: string;
  readonly to: string;
  /**
   * The instance the stream should reach (`STREAM_ROUTE_BY_INSTANCE`): the URL becomes `wss://…/twilio/media/<id>`,
   * a path segment a balancer routes on. Twilio signs the URL as written, path included.
   */
  readonly instanceId?: string | undefined;
}

/**
 * `<Connect action><Stream url="wss://…/twilio/media">` with the per-call data as `<Parameter>`s: a `<Stream url>`
 * must carry no query string (error 31920), so parameters are the only way to pass data to the socket.
 */
export function renderConnectStream(input: ConnectStreamInput): string {
  return renderConnectWithParameters(
    input.publicBaseUrl,
    [
      ['token', input.token],
      ['callSid', input.callSid],
      ['from', input.from],
      ['to', input.to],
    ],
    input.instanceId,
  );
}

/** Inputs of the inline document that moves a live call to another instance (a drain's end). */
export interface ResumeConnectStreamInput {
  readonly publicBaseUrl: string;
  /** A signed stream token with a resume claim for the same CallSid. */
  readonly token: string;
  readonly callSid: string;
  /** The agent the call runs as now; the receiving instance builds its instructions from it. */
  readonly agent: string;
}

/** The `<Connect action><Stream>` a moved call runs: token, CallSid and current agent as parameters. */
export function renderResumeConnectStream(input: ResumeConnectStreamInput): string {
  return renderConnectWithParameters(input.publicBaseUrl, [
    ['token', input.token],
    ['callSid', input.callSid],
    ['agent', input.agent],
  ]);
}

/** Inputs of the inline document of an outbound call (its CallSid is not known before the call is created). */
export interface OutboundConnectStreamInput {
  readonly publicBaseUrl: string;
  readonly token: string;
  /**
   * The provisional key a signed token was issued for (the CallSid is unknown when the TwiML is sent); the stream's
   * instance looks up which CallSid it was bound to. Absent with per-process tokens.
   */
  readonly streamKey?: string | undefined;
  /** Catalogue agent the call starts with; the call wiring reads `start.customParameters.agent`. */
  readonly agent?: string | undefined;
  /** Per-call context, each key sent as a `ctx.<key>` parameter. */
  readonly context?: Readonly<Record<string, string>> | undefined;
}

/** Prefix of the `<Parameter>` names that carry an outbound call's context. */
export const CONTEXT_PARAMETER_PREFIX = 'ctx.';

/** The same `<Connect action><Stream>` for an outbound call: token, direction, agent and context as parameters. */
export function renderOutboundConnectStream(input: OutboundConnectStreamInput): string {
  const parameters: Array<[string, string]> = [
    ['token', input.token],
    ['direction', 'outbound-api'],
  ];
  if (input.streamKey !== undefined) parameters.push(['streamKey', input.streamKey]);
  if (input.agent !== undefined) parameters.push(['agent', input.agent]);
  for (const [key, value] of Object.entries(input.context ?? {})) parameters.push([`${CONTEXT_PARAMETER_PREFIX}${key}`, value]);
  return renderConnectWithParameters(input.publicBaseUrl, parameters);
}

function renderConnectWithParameters(publicBaseUrl: string, parameters: ReadonlyArray<readonly [string, string]>, instanceId?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const connect = response.connect({ action: `${publicBaseUrl}${STREAM_ENDED_PATH}` });
  const path = instanceId === undefined ? MEDIA_STREAM_PATH : `${MEDIA_STREAM_PATH}/${encodeURIComponent(instanceId)}`;
  const stream = connect.stream({ url: `${toWebSocketOrigin(publicBaseUrl)}${path}` });
  for (const [name, value] of parameters) stream.parameter({ name, value });
  return response.toString();
}

/** Inputs of a transfer document. */
export interface TransferInput {
  /** E.164 number or `sip:`/`sips:` URI. */
  readonly target: string;
  /** Said by Twilio before dialling, when set. */
  readonly announcement?: string | undefined;
  /** Caller ID shown to the human; Twilio uses the caller's number when unset. */
  readonly callerId?: string | undefined;
}

/**
 * `<Say>` (optional) then `<Dial>` with a `<Number>` or a `<Sip>`: the document a transfer puts on the call with a
 * REST update. The bidirectional stream stops when it replaces `<Connect>` (Twilio sends `stop`, not a hang-up).
 */
export function renderTransfer(input: TransferInput): string {
  const response = new twilio.twiml.VoiceResponse();
  if (input.announcement !== undefined) response.say(input.announcement);
  const dial = response.dial(input.callerId === undefined ? {} : { callerId: input.callerId });
  if (/^sips?:/i.test(input.target)) dial.sip(input.target);
  else dial.number(input.target);
  return response.toString();
}

/** The fallback after the stream: a short `<Say>` and `<Hangup/>`, so the caller never hears dead air. */
export function renderSayAndHangup(message: string = DEFAULT_APOLOGY): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}

/** An empty `<Response/>`: acknowledges a callback that needs no instructions. */
export function renderEmptyResponse(): string {
  return new twilio.twiml.VoiceResponse().toString();
}
