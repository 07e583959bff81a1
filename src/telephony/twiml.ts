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
}

/**
 * `<Connect action><Stream url="wss://…/twilio/media">` with the per-call data as `<Parameter>`s: a `<Stream url>`
 * must carry no query string (error 31920), so parameters are the only way to pass data to the socket.
 */
export function renderConnectStream(input: ConnectStreamInput): string {
  const response = new twilio.twiml.VoiceResponse();
  const connect = response.connect({ action: `${input.publicBaseUrl}${STREAM_ENDED_PATH}` });
  const stream = connect.stream({ url: `${toWebSocketOrigin(input.publicBaseUrl)}${MEDIA_STREAM_PATH}` });
  stream.parameter({ name: 'token', value: input.token });
  stream.parameter({ name: 'callSid', value: input.callSid });
  stream.parameter({ name: 'from', value: input.from });
  stream.parameter({ name: 'to', value: input.to });
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
