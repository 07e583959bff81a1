/**
 * The seam through which call records, metrics and webhooks watch calls without sitting in the call path: the
 * call manager tells each observer when a call rings, when its media stream starts (with the live transport and
 * service to subscribe to) and when it ended. Observers must not throw; the manager logs and skips one that does.
 */
import type { ActionRecord } from '../actions/action-log.js';
import type { IncomingCall } from '../telephony/call-handler.js';
import type { TwilioMediaTransport } from '../telephony/media-transport.js';
import type { StreamStart } from '../telephony/twilio-messages.js';
import type { RealtimeService } from '../service/realtime-service.js';
import type { Logger } from '../logger.js';
import type { CallSummary } from './call-session.js';

/** A call whose media stream just started, as an observer sees it. */
export interface ObservedCall {
  readonly callSid: string;
  readonly streamSid: string;
  /** The stream's `start` message (custom parameters carry from/to and the direction). */
  readonly start: StreamStart;
  /** The call's transport: subscribe to `mark` and `dtmf`, read `stats()`. */
  readonly transport: Pick<TwilioMediaTransport, 'on' | 'stats'>;
  /** The call's service: subscribe to its events. */
  readonly service: Pick<RealtimeService, 'on' | 'callerAudioDeliveredMs'>;
  /** The agent the call starts with. */
  readonly agent: string;
  /** True while the `collect_digits` tool is gathering keypad digits (they are then sensitive). */
  readonly collectingDigits: () => boolean;
  /** Telephony actions taken so far (a copy), empty when actions are disabled. */
  readonly actions: () => readonly ActionRecord[];
  /** The call's child logger. */
  readonly logger: Logger;
}

/** Why a pre-warmed session was closed without a stream adopting it. */
export type PrewarmReleaseCause = 'stream_elsewhere' | 'call_ended' | 'ttl';

/** Watches calls; every method is optional and must not throw. */
export interface CallObserver {
  /** The voice webhook answered a call (it is ringing on our side; the stream follows). */
  callAnswered?(call: IncomingCall): void;
  /** The call's media stream started. */
  streamStarted?(call: ObservedCall): void;
  /**
   * A session pre-warmed for the call was closed unused: its stream started on another instance
   * (`stream_elsewhere`), the call ended while ringing (`call_ended`), or no stream came within the TTL (`ttl`).
   */
  prewarmReleased?(callSid: string, cause: PrewarmReleaseCause): void;
  /** The call was torn down; `summary` includes the actions and outcome when actions were enabled. */
  callEnded?(summary: CallSummary): void;
}
