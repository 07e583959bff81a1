/**
 * `awaitPlaybackDrained`: resolves when everything the bot said has been played to the caller, as Twilio confirms
 * it (the mark echo after the last audio). Playback is confirmed by marks only, never by a wall-clock guess; a short
 * quiet window after the last echo covers audio still on its way from the model through the output pump and the
 * transport's partial-chunk flush (40 ms), so a goodbye that is still being generated is not cut off.
 */
import type { Clock } from '../telephony/clock.js';

/** How long nothing new may be queued, with everything confirmed played, before playback counts as drained. */
export const DRAIN_QUIET_MS = 300;

/** How often the drain condition is re-checked. */
export const DRAIN_POLL_MS = 50;

/** Upper bound on waiting: a lost mark echo must not keep a call open forever. */
export const DRAIN_TIMEOUT_MS = 30_000;

/** What the drain check reads from the carrier transport (`TwilioMediaTransport` satisfies it). */
export interface DrainableTransport {
  /** True while audio handed to Twilio is not yet confirmed played (mark echoes pending). */
  isAudible(): boolean;
  /** True once the stream stopped or the socket closed. */
  readonly ended: boolean;
  /** Traffic counters; `sentMediaMessages` grows while audio is still being queued. */
  stats(): { readonly sentMediaMessages: number };
}

/** How the wait ended. */
export type DrainOutcome = 'drained' | 'ended' | 'timeout';

/** Options of {@link awaitPlaybackDrained}. */
export interface DrainOptions {
  readonly clock: Clock;
  readonly quietMs?: number;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

/** Waits until the caller has heard all queued audio (confirmed by mark echoes), the stream ended, or the timeout. */
export function awaitPlaybackDrained(transport: DrainableTransport, options: DrainOptions): Promise<DrainOutcome> {
  const { clock } = options;
  const quietMs = options.quietMs ?? DRAIN_QUIET_MS;
  const pollMs = options.pollMs ?? DRAIN_POLL_MS;
  const timeoutMs = options.timeoutMs ?? DRAIN_TIMEOUT_MS;
  const startedAt = clock.now();
  let lastSent = transport.stats().sentMediaMessages;
  let quietSince = startedAt;
  return new Promise<DrainOutcome>((resolve) => {
    const check = (): void => {
      const now = clock.now();
      if (transport.ended) return resolve('ended');
      const sent = transport.stats().sentMediaMessages;
      if (sent !== lastSent || transport.isAudible()) {
        lastSent = sent;
        quietSince = now;
      } else if (now - quietSince >= quietMs) {
        return resolve('drained');
      }
      if (now - startedAt >= timeoutMs) return resolve('timeout');
      clock.setTimeout(check, pollMs);
    };
    check();
  });
}
