/**
 * The closed set of events the Twilio serializer produces from wire JSON. Everything downstream switches over
 * `type`; nothing downstream sees raw Twilio JSON.
 */
import type { StreamStart } from './twilio-messages.js';

/** One parsed message from Twilio. */
export type TwilioEvent =
  | { readonly type: 'connected'; readonly protocol: string; readonly version: string }
  | { readonly type: 'start'; readonly streamSid: string; readonly start: StreamStart }
  | {
      readonly type: 'media';
      readonly streamSid: string;
      readonly track: string;
      /** Milliseconds since the stream started, NaN when Twilio sent something unreadable. */
      readonly timestampMs: number;
      /** Base64 of raw μ-law 8 kHz bytes. */
      readonly payload: string;
    }
  | { readonly type: 'dtmf'; readonly streamSid: string; readonly digit: string }
  | { readonly type: 'mark'; readonly streamSid: string; readonly name: string }
  | { readonly type: 'stop'; readonly streamSid: string; readonly callSid: string };
