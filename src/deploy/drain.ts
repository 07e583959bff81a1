/**
 * The graceful drain run on SIGTERM/SIGINT, so a deploy cuts no call:
 * 1. at once `/readyz` answers 503 (the balancer stops sending new calls here);
 * 2. for `graceMs` the Twilio routes still answer (a call the balancer routed here before it noticed is served),
 *    then new calls are refused with 503;
 * 3. live calls go on until they end, together with calls answered here whose media stream has not started yet,
 *    until `timeoutMs` after the signal;
 * 4. a call still live then is moved to another instance when the calls can be moved (Twilio credentials: a REST
 *    update with new `<Connect><Stream>` TwiML, the context in the shared store), and the drain waits up to
 *    `fallbackWaitMs` for their streams to stop here; a call that cannot be moved is ended with a closing line
 *    (`SHUTDOWN_CLOSING_LINE`, served as its `<Connect action>` fallback), and the drain waits up to `fallbackWaitMs`
 *    for Twilio to fetch those fallbacks.
 * The caller (`VoiceBot.drain`) then closes the app, the stores and the worker; `main.ts` flushes the log and exits 0.
 */
import type { Logger } from '../logger.js';
import type { Clock } from '../telephony/clock.js';
import type { DrainState } from './drain-state.js';

/** How often the drain looks at the call counts. */
export const DRAIN_POLL_MS = 100;

/** Longest wait for Twilio to fetch the closing-line fallbacks of the calls the drain ended. */
export const DEFAULT_FALLBACK_WAIT_MS = 5_000;

/** The calls the drain waits for and ends (the `CallManager`). */
export interface DrainableCalls {
  readonly activeCalls: number;
  readonly awaitingStreams: number;
  readonly fallbacksPending: number;
  endLiveCalls(reason: 'server_shutdown'): Promise<number>;
  /** True when live calls can be moved to another instance instead of ended. */
  readonly canMoveCalls?: boolean;
  /** Moves every live call; those that could not be moved are ended with the closing line. */
  moveLiveCalls?(): Promise<{ readonly moved: number; readonly ended: number }>;
}

/** Options of {@link runDrain}. */
export interface DrainOptions {
  readonly state: DrainState;
  readonly calls: DrainableCalls;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly graceMs: number;
  /** From the signal: the longest wait for live calls. */
  readonly timeoutMs: number;
  readonly fallbackWaitMs?: number;
}

/** What the drain did, for the log and the closing note. */
export interface DrainReport {
  /** Milliseconds from the signal to the end of the drain. */
  readonly durationMs: number;
  /** Calls still live at the deadline, ended with the closing line (0 when every call ended on its own). */
  readonly callsEnded: number;
  /** Calls still live at the deadline, moved to another instance with their context. */
  readonly callsMoved: number;
  /** Of those, calls whose fallback Twilio had not fetched when the drain gave up waiting. */
  readonly fallbacksMissed: number;
}

/** Runs the drain; resolves when no call needs this instance any more. Never rejects on a call's failure. */
export async function runDrain(options: DrainOptions): Promise<DrainReport> {
  const { state, calls, logger, clock } = options;
  const startedAt = clock.now();
  const elapsed = (): number => clock.now() - startedAt;
  state.beginDrain();
  logger.info({ graceMs: options.graceMs, timeoutMs: options.timeoutMs, activeCalls: calls.activeCalls }, 'drain started: not ready');

  await sleep(clock, Math.min(options.graceMs, options.timeoutMs));
  state.refuseNewCalls();
  logger.info({ activeCalls: calls.activeCalls, awaitingStreams: calls.awaitingStreams }, 'drain: grace over, new calls refused');

  const busy = (): boolean => calls.activeCalls > 0 || calls.awaitingStreams > 0;
  await until(clock, () => !busy(), options.timeoutMs - elapsed());

  let callsEnded = 0;
  let callsMoved = 0;
  let fallbacksMissed = 0;
  if (calls.activeCalls > 0 && calls.canMoveCalls && calls.moveLiveCalls) {
    logger.warn({ activeCalls: calls.activeCalls }, 'drain timeout: moving the remaining calls to another instance');
    const { moved, ended } = await calls.moveLiveCalls();
    callsMoved = moved;
    callsEnded = ended;
    // Each moved stream gets Twilio's `stop` here once its new TwiML runs elsewhere.
    await until(clock, () => calls.activeCalls === 0 && calls.fallbacksPending === 0, options.fallbackWaitMs ?? DEFAULT_FALLBACK_WAIT_MS);
    fallbacksMissed = calls.fallbacksPending;
  } else if (calls.activeCalls > 0) {
    logger.warn({ activeCalls: calls.activeCalls }, 'drain timeout: ending the remaining calls with a closing line');
    callsEnded = await calls.endLiveCalls('server_shutdown');
    await until(clock, () => calls.fallbacksPending === 0, options.fallbackWaitMs ?? DEFAULT_FALLBACK_WAIT_MS);
    fallbacksMissed = calls.fallbacksPending;
  }
  const report = { durationMs: Math.round(elapsed()), callsEnded, callsMoved, fallbacksMissed };
  logger.info(report, 'drain finished');
  return report;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** Resolves when `done()` is true (checked every `DRAIN_POLL_MS`) or after `timeoutMs`. */
async function until(clock: Clock, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!done() && clock.now() < deadline) await sleep(clock, Math.min(DRAIN_POLL_MS, deadline - clock.now()));
}
