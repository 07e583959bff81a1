/**
 * The time seam for the Twilio edge: token expiry, the handshake timeout, the outbound flush delay and playback
 * interpolation all read time through it, so tests drive them with a fake clock instead of sleeping.
 */
import { performance } from 'node:perf_hooks';

/** Opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/** Monotonic milliseconds plus one-shot timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The production clock: `performance.now()` (monotonic, immune to wall-clock jumps) and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    // A pending flush or handshake timer must never keep a closing process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
