/**
 * The zero value of a media stream's drop and traffic counters: where `TwilioMediaTransport` starts counting, and
 * the base every fake transport spreads its own numbers over, so a counter added to `MediaTransportStats` is added
 * in one place.
 */
import type { MediaTransportStats } from './media-transport.js';

/** `MediaTransportStats` as the transport keeps it while counting. */
export type MutableMediaTransportStats = { -readonly [K in keyof MediaTransportStats]: MediaTransportStats[K] };

/** A fresh set of counters, every one 0 (a new object each call: the transport mutates its own). */
export function emptyMediaTransportStats(): MutableMediaTransportStats {
  return {
    inboundFrames: 0,
    malformedMessages: 0,
    foreignStreamMessages: 0,
    droppedInboundChunks: 0,
    silenceFilledMs: 0,
    silenceRefusedMs: 0,
    staleMarkEchoes: 0,
    droppedOutboundMs: 0,
    sentMediaMessages: 0,
  };
}
