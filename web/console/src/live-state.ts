/** The browser's copy of the live calls board: a snapshot, then the server's batched updates folded in. */
import type { LiveCall, StreamMessage, TimelineEvent, Turn, AgentSwitch } from './types.js';

/** Folds one timeline event into a live call (the same fold as the server's `applyTimelineEvent`). */
export function applyEvent(call: LiveCall, event: TimelineEvent): void {
  switch (event.type) {
    case 'caller_turn':
    case 'bot_turn': {
      const turn = event.turn as Turn;
      const index = call.turns.findIndex((t) => t.itemId === turn.itemId);
      if (index >= 0) call.turns[index] = turn;
      else call.turns.push(turn);
      return;
    }
    case 'turn_latency':
      call.latenciesMs.push(event.latencyMs as number);
      return;
    case 'first_audio':
      call.firstAudioMs = event.latencyMs as number;
      return;
    case 'agent_switch':
      call.agentSwitches.push(event as unknown as AgentSwitch);
      call.agent = event.to as string;
      return;
    case 'instructions_updated':
      call.agent = event.agent as string;
      return;
    case 'barge_in':
      call.bargeIns.push(event as unknown as LiveCall['bargeIns'][number]);
      return;
    case 'dtmf':
      call.dtmf.push({ atMs: event.atMs as number, digit: (event.digit as string | undefined) ?? null });
      return;
    case 'realtime_error':
      call.errors.push({ atMs: event.atMs as number, message: event.message as string });
      return;
    case 'usage': {
      const u = event.usage as Record<string, number>;
      call.usage.responses += 1;
      call.usage.inputTokens += (u.inputTextTokens ?? 0) + (u.inputAudioTokens ?? 0) + (u.cachedTextTokens ?? 0) + (u.cachedAudioTokens ?? 0);
      call.usage.outputTokens += (u.outputTextTokens ?? 0) + (u.outputAudioTokens ?? 0);
      return;
    }
    default:
      return;
  }
}

/** Live calls by CallSid, plus the CallSids that ended since the page opened. */
export class LiveState {
  readonly calls = new Map<string, LiveCall>();
  readonly ended = new Map<string, string>();

  apply(message: StreamMessage): void {
    if (message.type === 'snapshot') {
      this.calls.clear();
      for (const call of message.calls) this.calls.set(call.callSid, call);
      return;
    }
    for (const update of message.updates) {
      if (update.type === 'call_started') this.calls.set(update.call.callSid, update.call);
      else if (update.type === 'call_ended') {
        this.calls.delete(update.callSid);
        this.ended.set(update.callSid, update.reason);
      } else {
        const call = this.calls.get(update.callSid);
        if (call) applyEvent(call, update.event);
      }
    }
  }
}
