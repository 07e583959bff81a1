/**
 * Offsets between the bench's clock and a child's. `performance.timeOrigin` is fixed per process at start from the
 * wall clock, so two processes' `timeOrigin + now()` disagree by up to a few hundred microseconds, as much as the
 * latencies measured. Each child answers `{ type: 'clock' }` with its `epochMs()`; the round trip with the least
 * delay gives the offset (NTP's rule), within half that round trip.
 */
import type { ChildProcess } from 'node:child_process';
import { nextMessage } from './children.js';
import { epochMs } from './records.js';

/** Round trips sampled per child. */
const SAMPLES = 40;

/** The child's clock minus the bench's, and how far off that may be. */
export interface ClockOffset {
  readonly offsetMs: number;
  readonly uncertaintyMs: number;
}

/** Measures the offset of `child`, which must answer `clock` requests. */
export async function measureOffset(child: ChildProcess): Promise<ClockOffset> {
  let best: ClockOffset = { offsetMs: 0, uncertaintyMs: Infinity };
  for (let i = 0; i < SAMPLES; i++) {
    const reply = nextMessage<{ type: 'clock'; now: number }>(child, 'clock', 5000);
    const sent = epochMs();
    child.send({ type: 'clock' });
    const { now } = await reply;
    const received = epochMs();
    const half = (received - sent) / 2;
    if (half < best.uncertaintyMs) best = { offsetMs: now - (sent + half), uncertaintyMs: half };
  }
  return best;
}

/** Installs the `clock` answer in a child process. */
export function answerClockRequests(): void {
  process.on('message', (message: { type?: unknown }) => {
    if (message.type === 'clock') process.send?.({ type: 'clock', now: epochMs() });
  });
}
