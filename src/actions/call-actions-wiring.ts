/**
 * Attaches the telephony actions to one live call: `CallActions` (tools, DTMF relay, hang-up and transfer) and
 * `CallTimers` (silence and duration), both reading the settings of the agent the call runs as right now.
 * `detach()` stops them and returns what the call record keeps: the action log and the outcome.
 */
import type { AgentCatalogue } from '../domain/agent-catalogue.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../telephony/clock.js';
import type { ActionRecord } from './action-log.js';
import { CallActions, type ActionRealtime, type ActionTransport, type CallOutcome } from './call-actions.js';
import { callSettingsFor } from './call-settings.js';
import { CallTimers } from './call-timers.js';
import type { Keypad } from './keypad.js';
import type { TwilioCallControl } from './twilio-call-control.js';

/** Everything needed to act on one call. */
export interface AttachCallActionsOptions {
  readonly callSid: string;
  readonly transport: ActionTransport;
  readonly realtime: ActionRealtime;
  readonly control: TwilioCallControl;
  readonly catalogue: AgentCatalogue;
  /** The agent the call runs as now (changes with the orchestrator's routing). */
  readonly currentAgent: () => string;
  /** The call's keypad (attached to every call); the actions collect digits from it. */
  readonly keypad: Keypad;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The actions of one call and how to stop them. */
export interface AttachedCallActions {
  readonly actions: CallActions;
  readonly timers: CallTimers;
  /** Stops timers and listeners (idempotent); returns the records and outcome for the call record. */
  detach(): { readonly actions: ActionRecord[]; readonly outcome: CallOutcome };
}

/** Creates and starts the actions and timers of a call whose media stream just started. */
export function attachCallActions(options: AttachCallActionsOptions): AttachedCallActions {
  const settings = () => callSettingsFor(options.catalogue, options.currentAgent());
  const actions = new CallActions({
    callSid: options.callSid,
    transport: options.transport,
    realtime: options.realtime,
    control: options.control,
    settings,
    logger: options.logger,
    clock: options.clock,
    keypad: options.keypad,
  });
  const timers = new CallTimers({ actions, transport: options.transport, realtime: options.realtime, settings, clock: options.clock });
  timers.start();
  return {
    actions,
    timers,
    detach() {
      timers.stop();
      actions.dispose();
      return { actions: actions.log.entries(), outcome: actions.outcome };
    },
  };
}
