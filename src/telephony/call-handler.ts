/**
 * The seam between the Twilio edge and the call wiring: the HTTP routes authenticate Twilio and hand each call
 * over through this interface. The call wiring (`src/call/`) implements it; tests pass a recording fake.
 */
import type { Logger } from '../logger.js';
import type { TwilioMediaTransport } from './media-transport.js';
import type { StreamStart } from './twilio-messages.js';

/** A call announced by a correctly signed voice webhook (Twilio form fields, renamed). */
export interface IncomingCall {
  readonly callSid: string;
  readonly accountSid: string;
  /** Caller's number; personal data, log only under the redacted `from` key. */
  readonly from: string;
  /** Called number; personal data, log only under the redacted `to` key. */
  readonly to: string;
  /** `inbound`, `outbound-api`, `outbound-dial`. */
  readonly direction: string;
}

/** A media stream that passed the upgrade signature, the handshake and the single-use token check. */
export interface StartedStream {
  readonly start: StreamStart;
  readonly transport: TwilioMediaTransport;
  /** Child logger bound with `{ callSid, streamSid }`. */
  readonly logger: Logger;
  /** The stream token carried a resume claim: the call moved here from a draining instance. */
  readonly resume?: boolean;
}

/** A correctly signed call or stream status callback. */
export interface StatusCallback {
  readonly callSid: string;
  /** `CallStatus` of a call status callback (`ringing`, `in-progress`, `completed`, ...), when present. */
  readonly callStatus: string | undefined;
  readonly streamSid: string | undefined;
  /** `StreamEvent` of a stream status callback (`stream-started`, `stream-stopped`, `stream-error`), when present. */
  readonly streamEvent: string | undefined;
  /** Every form field as sent, for handlers that need more. */
  readonly params: Readonly<Record<string, string>>;
}

/** What the edge tells the call wiring. Methods must not throw; failures are the handler's to log. */
export interface CallHandler {
  /** The voice webhook answered this call; a good moment to pre-warm the Realtime session while it rings. */
  onCallAnswered(call: IncomingCall): void;
  /** The call's media stream is live; the handler owns the call (and the transport) from here on. */
  onStreamStarted(stream: StartedStream): void;
  /**
   * The TwiML Twilio runs after our side closed the stream (`<Connect action>`); undefined means the default
   * apology and hang-up.
   */
  streamEndedTwiml?(callSid: string): string | undefined;
  /** A status callback arrived for a call or stream. */
  onStatus?(status: StatusCallback): void;
}
