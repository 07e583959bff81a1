/**
 * Reads the start of a Twilio media stream (`connected`, then `start`) before any call state exists, so the
 * streamSid, CallSid and custom parameters are known first. Everything happens in listener callbacks, with no
 * await between `start` and the caller's `onStart`: frames that follow `start` in the same TCP read are then
 * caught by the listeners `onStart` installs, never lost.
 */
import { TWILIO_SAMPLE_RATE_HZ } from '../audio/constants.js';
import type { Logger } from '../logger.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import type { Clock } from './clock.js';
import type { MediaSocket } from './media-socket.js';
import type { StreamStart } from './twilio-messages.js';
import { parseTwilioMessage } from './twilio-serializer.js';

/** How long a socket may stay silent (no `start`) before it is closed. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The only audio this server accepts: what Twilio sends on a bidirectional stream. */
const EXPECTED_ENCODING = 'audio/x-mulaw';
const EXPECTED_CHANNELS = 1;

/** WebSocket close code for a policy violation (RFC 6455). */
export const CLOSE_POLICY_VIOLATION = 1008;

/** Why a handshake ended without a stream. */
export type HandshakeAbort = 'closed' | 'timeout' | 'unsupported-format';

/** Options for `readHandshake`. */
export interface HandshakeOptions {
  readonly socket: MediaSocket;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timeoutMs?: number;
  /** A shared rate-limited log (the app's) for this handshake's lines; one per socket when absent. */
  readonly peerLog?: RateLimitedLog;
  /** Called synchronously with the validated `start`; the handshake's listeners are already removed. */
  readonly onStart: (start: StreamStart) => void;
  /** Called once when the handshake fails; the socket is already closed or closing. */
  readonly onAbort?: (reason: HandshakeAbort) => void;
}

/** Waits for `start` on a fresh media socket; closes the socket on timeout or an unsupported audio format. */
export function readHandshake(options: HandshakeOptions): void {
  const { socket, clock, logger } = options;
  let finished = false;
  const ownLog = options.peerLog === undefined;
  const peerLog = options.peerLog ?? new RateLimitedLog({ logger, clock });

  const finish = (): void => {
    finished = true;
    if (ownLog) peerLog.flush();
    clock.clearTimeout(timer);
    socket.off('message', onMessage);
    socket.off('close', onClose);
  };

  const abort = (reason: HandshakeAbort): void => {
    if (finished) return;
    finish();
    if (reason !== 'closed') socket.close(CLOSE_POLICY_VIOLATION, reason);
    options.onAbort?.(reason);
  };

  const onMessage = (text: string): void => {
    if (finished) return;
    const event = parseTwilioMessage(text);
    if (event?.type === 'connected') {
      logger.debug({ protocol: event.protocol, version: event.version }, 'media stream connected');
      return;
    }
    if (event?.type !== 'start') {
      peerLog.warn({ event: event?.type }, 'media message before start ignored');
      return;
    }
    const format = event.start.mediaFormat;
    if (
      format.encoding !== EXPECTED_ENCODING ||
      format.sampleRate !== TWILIO_SAMPLE_RATE_HZ ||
      format.channels !== EXPECTED_CHANNELS
    ) {
      peerLog.warn({ mediaFormat: format }, 'media stream format unsupported');
      abort('unsupported-format');
      return;
    }
    finish();
    options.onStart(event.start);
  };

  const onClose = (code: number): void => {
    peerLog.info({ code }, 'media socket closed before start');
    abort('closed');
  };

  const timer = clock.setTimeout(() => {
    peerLog.warn({ timeoutMs: options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS }, 'media handshake timed out');
    abort('timeout');
  }, options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);

  socket.on('message', onMessage);
  socket.on('close', onClose);
}
