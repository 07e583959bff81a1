/**
 * A complete `CallHandler` for a server without the call wiring: it answers webhooks and accepts authenticated
 * streams, then closes each stream at once so Twilio runs the `<Connect action>` fallback (apology, hang-up).
 * Useful to check webhooks, signatures and tunnels end to end before the bot is wired.
 */
import type { Logger } from '../logger.js';
import type { CallHandler } from './call-handler.js';

/** Builds the handler that logs every call and closes its stream. */
export function createClosingCallHandler(logger: Logger): CallHandler {
  return {
    onCallAnswered(call) {
      // The route already logged the answer; this says why the caller will only hear the fallback.
      logger.warn({ callSid: call.callSid }, 'call answered without a call manager; its stream will be closed');
    },
    onStreamStarted({ transport, logger: callLogger }) {
      callLogger.warn('no call manager configured; closing the media stream');
      transport.close('no call manager');
    },
  };
}
