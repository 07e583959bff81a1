/**
 * `CallActions`: what one live call can do to itself besides talking. Hang up after the goodbye has played, move
 * the caller to a human (`<Dial>` through a REST TwiML update), collect keypad digits (through the call's `Keypad`,
 * which relays every other key press to the model and the orchestrator with or without these actions), and end the
 * call with a spoken line (idle and duration timers). Every action is
 * recorded in the call's `ActionLog`; REST failures come back as results the model can react to, never as throws.
 * The call wiring reads `outcome` when Twilio sends `stop`: after a transfer that `stop` is not a hang-up.
 */
import { hangUpFailedInstruction, sayExactlyInstruction } from '../domain/instructions.js';
import { toError } from '../errors.js';
import type { RealtimeClientEvent, RealtimeClientLike } from '../infrastructure/realtime-client-events.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../telephony/clock.js';
import type { TwilioMediaTransport } from '../telephony/media-transport.js';
import { renderTransfer } from '../telephony/twiml.js';
import { ActionLog, type ActionKind } from './action-log.js';
import type { AgentCallSettings } from './call-settings.js';
import type { CollectDigitsRequest } from './digit-collector.js';
import type { Keypad } from './keypad.js';
import { awaitPlaybackDrained } from './playback-drain.js';
import type { TwilioCallControl } from './twilio-call-control.js';

/** Longest wait for a response in flight (or the spoken goodbye) to finish before the action goes ahead anyway. */
export const RESPONSE_WAIT_MS = 15_000;

/** Assistant audio this recent means the goodbye was spoken with (or just before) the `hang_up` call. */
export const RECENT_AUDIO_MS = 2_000;

/** What the actions use of the carrier transport (`TwilioMediaTransport`). */
export type ActionTransport = Pick<TwilioMediaTransport, 'isAudible' | 'ended' | 'stats' | 'on'>;

/** What the actions use of the Realtime session. */
export type ActionRealtime = Pick<RealtimeClientLike, 'createResponse' | 'disconnect' | 'on' | 'isResponseInFlight'>;

/** How the call ended, as far as the actions know; `active` until an action ends it. */
export type CallOutcome =
  | { readonly kind: 'active' }
  | { readonly kind: 'hung_up'; readonly by: 'hang_up' | 'idle_timeout' | 'max_duration'; readonly reason: string }
  | { readonly kind: 'transferred'; readonly to: string; readonly department: string | undefined; readonly reason: string };

/** A tool's answer: the text the model receives, and whether the model should speak after it. */
export interface ToolReply {
  readonly text: string;
  /** False for actions that end the conversation: the SDK then sends the result without asking for a response. */
  readonly respond: boolean;
}

/** Options for {@link CallActions}. */
export interface CallActionsOptions {
  readonly callSid: string;
  readonly transport: ActionTransport;
  readonly realtime: ActionRealtime;
  readonly control: TwilioCallControl;
  /** Settings of the agent the call runs as right now (agents change during a call). */
  readonly settings: () => AgentCallSettings;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The call's keypad: `collect_digits` takes keys from it; no key is relayed while the call is being ended. */
  readonly keypad: Keypad;
  readonly responseWaitMs?: number;
  /** Passed to `awaitPlaybackDrained` (tests shorten the quiet window). */
  readonly drainQuietMs?: number;
}

type Ending = 'hang_up' | 'idle_timeout' | 'max_duration' | 'transfer';

/** One call's telephony actions; see the file comment. */
export class CallActions {
  /** Every action taken on this call, for the call record. */
  readonly log: ActionLog;
  readonly #options: CallActionsOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #responseWaiters = new Set<(event: RealtimeClientEvent) => void>();
  #outcome: CallOutcome = { kind: 'active' };
  #ending: Ending | undefined;
  #lastAudioAt = Number.NEGATIVE_INFINITY;
  #disposed = false;

  constructor(options: CallActionsOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#clock = options.clock;
    this.log = new ActionLog(options.logger, options.clock);
    options.keypad.setRelayGate(() => this.#ending === undefined);
    this.#unsubscribe.push(options.realtime.on((event) => this.#onRealtimeEvent(event)));
  }

  /** How the call ended, as far as actions are concerned; read it when Twilio sends `stop`. */
  get outcome(): CallOutcome {
    return this.#outcome;
  }

  /** True once an action is ending the call (hang-up or transfer under way or done). */
  get ending(): boolean {
    return this.#ending !== undefined;
  }

  /** True while the bot waits on the caller's keypad: silence is expected, the idle timer must not reprompt. */
  get collectingDigits(): boolean {
    return this.#options.keypad.collecting;
  }

  /** True when the current agent is granted the tool (the session's tool list is shared by every agent). */
  allows(tool: AgentCallSettings['tools'][number]): boolean {
    return this.#options.settings().tools.includes(tool);
  }

  /**
   * `hang_up`: when the goodbye is playing (or just played), waits for Twilio's mark echo of its last audio and
   * ends the call; otherwise asks the model to say goodbye first and hangs up once that has played.
   */
  async hangUp(reason: string): Promise<ToolReply> {
    if (this.#ending !== undefined) return { text: 'The call is already ending.', respond: false };
    this.#ending = 'hang_up';
    await this.#responseSettled();
    const goodbyeSpoken = this.#options.transport.isAudible() || this.#clock.now() - this.#lastAudioAt <= RECENT_AUDIO_MS;
    if (!goodbyeSpoken) {
      const spoken = this.#nextResponseDone();
      void spoken.then(() => this.#completeHangUp('hang_up', reason)).then((failure) => this.#reportLateFailure(failure));
      return { text: 'Say a short goodbye to the caller now. The call ends as soon as it has played.', respond: true };
    }
    const failure = await this.#completeHangUp('hang_up', reason);
    if (failure === undefined) return { text: 'The call has ended.', respond: false };
    return { text: `Hanging up failed (${failure}). Tell the caller they can simply hang up.`, respond: true };
  }

  /** Ends the call with a line the bot says first (idle goodbye, duration limit); resolves when it is over. */
  async finishWithLine(line: string, by: 'idle_timeout' | 'max_duration'): Promise<void> {
    if (this.#ending !== undefined) return;
    this.#ending = by;
    await this.#responseSettled();
    const spoken = this.#nextResponseDone();
    this.#options.realtime.createResponse({ instructions: sayExactlyInstruction(line) });
    await spoken;
    this.#reportLateFailure(await this.#completeHangUp(by, by));
  }

  /**
   * `transfer_to_human`: lets the model's short announcement finish playing, replaces the call's TwiML with
   * `<Say>`/`<Dial>` to the agent's configured destination, then closes the Realtime session. The `stop` Twilio
   * sends next is the transfer, not a hang-up (`outcome.kind === 'transferred'`).
   */
  async transfer(reason: string, department: string | undefined): Promise<ToolReply> {
    if (this.#ending !== undefined) return { text: 'The call is already ending.', respond: false };
    const settings = this.#options.settings();
    const departmentTarget = department === undefined ? undefined : settings.transferDepartments[department];
    const target = departmentTarget ?? settings.transferTo;
    if (target === undefined) {
      this.log.record({ action: 'transfer', outcome: 'refused', reason, details: { error: 'no transfer destination configured' } });
      return { text: 'No human colleague can be reached from this line. Offer another way to help.', respond: true };
    }
    this.#ending = 'transfer';
    await this.#responseSettled();
    await awaitPlaybackDrained(this.#options.transport, this.#drainOptions());
    const twiml = renderTransfer({ target, announcement: settings.transferAnnouncement });
    const result = await this.#options.control.redirectToTwiml(this.#options.callSid, twiml);
    const usedDepartment = departmentTarget === undefined ? undefined : department;
    if (!result.ok) {
      this.#ending = undefined;
      this.log.record({
        action: 'transfer',
        outcome: 'failed',
        reason,
        details: { to: target, ...(usedDepartment ? { department: usedDepartment } : {}), error: result.message, ...(result.code ? { code: result.code } : {}) },
      });
      return { text: 'The transfer did not go through. Apologize and offer to help or to try again.', respond: true };
    }
    this.#outcome = { kind: 'transferred', to: target, department: usedDepartment, reason };
    this.log.record({ action: 'transfer', outcome: 'ok', reason, details: { to: target, ...(usedDepartment ? { department: usedDepartment } : {}) } });
    // After the SDK has sent this tool's output: closing inside `execute` would make that send fail.
    setImmediate(() => this.#disconnectRealtime());
    return { text: 'The caller is being connected to a human colleague. Say nothing more.', respond: false };
  }

  /** `collect_digits`: gathers keypad digits (count, terminator key or timeout) and returns them to the model. */
  async collectDigits(request: CollectDigitsRequest): Promise<ToolReply> {
    if (this.#ending !== undefined) return { text: 'The call is ending; no digits can be collected.', respond: false };
    const result = await this.#options.keypad.collect(request);
    this.log.record({
      action: 'collect_digits',
      outcome: result.terminatedBy === 'timeout' && result.digits === '' ? 'timeout' : result.terminatedBy === 'cancelled' ? 'cancelled' : 'ok',
      details: { digitCount: result.digits.length, terminatedBy: result.terminatedBy },
    });
    if (result.digits === '') {
      return { text: `No digits were entered (${result.terminatedBy}). Ask the caller again or offer another way.`, respond: true };
    }
    return { text: JSON.stringify({ digits: result.digits, terminatedBy: result.terminatedBy }), respond: true };
  }

  /** Records a tool call the current agent is not granted. */
  refuse(tool: string): ToolReply {
    this.log.record({ action: 'tool_refused', outcome: 'refused', details: { tool } });
    return { text: `The ${tool} tool is not available right now.`, respond: true };
  }

  /** Stops listening and ends a collection in progress; the log and outcome stay readable. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#options.keypad.cancelCollection();
    for (const waiter of this.#responseWaiters) waiter({ type: 'closed', reason: 'disconnect' });
    this.#responseWaiters.clear();
  }

  async #completeHangUp(by: Exclude<Ending, 'transfer'>, reason: string): Promise<string | undefined> {
    const drained = await awaitPlaybackDrained(this.#options.transport, this.#drainOptions());
    const result = await this.#options.control.hangUp(this.#options.callSid);
    const action: ActionKind = by;
    if (!result.ok) {
      this.#ending = undefined;
      this.log.record({ action, outcome: 'failed', reason, details: { drained, error: result.message, ...(result.code ? { code: result.code } : {}) } });
      return result.message;
    }
    this.#outcome = { kind: 'hung_up', by, reason };
    this.log.record({ action, outcome: result.alreadyEnded ? 'already_ended' : 'ok', reason, details: { drained } });
    return undefined;
  }

  /** A hang-up that failed after its tool already returned: tell the model, so it can say something. */
  #reportLateFailure(failure: string | undefined): void {
    if (failure === undefined || this.#disposed) return;
    this.#options.realtime.createResponse({
      instructions: hangUpFailedInstruction(failure),
    });
  }

  #drainOptions() {
    return { clock: this.#clock, ...(this.#options.drainQuietMs === undefined ? {} : { quietMs: this.#options.drainQuietMs }) };
  }

  /** Resolves when no response is in flight (at once if none), or after the wait limit. */
  #responseSettled(): Promise<void> {
    if (!this.#options.realtime.isResponseInFlight()) return Promise.resolve();
    return this.#waitFor((event) => event.type === 'response_done' || event.type === 'closed');
  }

  /** Resolves when the next response to start has finished (or the session closed, or the wait limit). */
  #nextResponseDone(): Promise<void> {
    let responseId: string | undefined;
    return this.#waitFor((event) => {
      if (event.type === 'closed') return true;
      if (event.type === 'response_started' && responseId === undefined) responseId = event.responseId;
      return event.type === 'response_done' && event.responseId === responseId;
    });
  }

  #waitFor(match: (event: RealtimeClientEvent) => boolean): Promise<void> {
    if (this.#disposed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = (event: RealtimeClientEvent): void => {
        if (!match(event)) return;
        this.#clock.clearTimeout(timer);
        this.#responseWaiters.delete(waiter);
        resolve();
      };
      const timer = this.#clock.setTimeout(() => waiter({ type: 'closed', reason: 'disconnect' }), this.#options.responseWaitMs ?? RESPONSE_WAIT_MS);
      this.#responseWaiters.add(waiter);
    });
  }

  #onRealtimeEvent(event: RealtimeClientEvent): void {
    if (event.type === 'audio') this.#lastAudioAt = this.#clock.now();
    for (const waiter of [...this.#responseWaiters]) waiter(event);
  }

  #disconnectRealtime(): void {
    this.#options.realtime.disconnect().catch((error: unknown) => this.#log.warn({ err: toError(error) }, 'realtime disconnect after transfer failed'));
  }
}
