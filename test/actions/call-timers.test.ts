import { describe, expect, it } from 'vitest';
import { CallTimers } from '../../src/actions/call-timers.js';
import { DEFAULT_IDLE_SETTINGS } from '../../src/actions/call-settings.js';
import { CALL_SID, frontDeskSettings, setupCall } from './helpers.js';

function setupTimers(settings = frontDeskSettings()) {
  const call = setupCall({}, settings);
  const timers = new CallTimers({
    actions: call.actions,
    transport: call.transport,
    realtime: call.realtime,
    settings: () => call.state.settings,
    clock: call.clock,
  });
  timers.start();
  return { ...call, timers };
}

/** Plays one bot response to the end: started, audio, done, and Twilio confirms it played. */
function answer(call: ReturnType<typeof setupTimers>, id: string, ms: number): void {
  call.realtime.emit({ type: 'response_started', responseId: id });
  call.speak(`item_${id}`, ms);
  call.realtime.emit({ type: 'response_done', responseId: id, status: 'completed' });
  call.echoMarks();
}

describe('CallTimers: silence', () => {
  it('reprompts after the idle timeout, twice, then says goodbye and hangs up after it played', async () => {
    const call = setupTimers();
    await call.advance(9_500, 250);
    expect(call.realtime.responses).toEqual([]);
    await call.advance(750, 250);
    expect(call.realtime.responses).toHaveLength(1);
    expect(call.realtime.responses[0]?.instructions).toContain(DEFAULT_IDLE_SETTINGS.reprompt);
    answer(call, 'r1', 800);
    await call.advance(10_500, 250);
    expect(call.realtime.responses).toHaveLength(2);
    answer(call, 'r2', 800);
    await call.advance(10_500, 250);
    expect(call.realtime.responses).toHaveLength(3);
    expect(call.realtime.responses[2]?.instructions).toContain(DEFAULT_IDLE_SETTINGS.goodbye);
    expect(call.rest.requests).toEqual([]);
    call.realtime.emit({ type: 'response_started', responseId: 'bye' });
    call.speak('item_bye', 1_500);
    call.realtime.emit({ type: 'response_done', responseId: 'bye', status: 'completed' });
    await call.advance(2_000);
    expect(call.rest.requests).toEqual([]);
    call.echoMarks();
    await call.advance(500);
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { status: 'completed' } }]);
    expect(call.actions.outcome).toMatchObject({ kind: 'hung_up', by: 'idle_timeout' });
    expect(call.actions.log.entries().map((e) => e.action)).toEqual(['idle_reprompt', 'idle_reprompt', 'idle_timeout']);
  });

  it('never counts silence while the bot is audible or the caller speaks, and a caller turn resets the reprompts', async () => {
    const call = setupTimers(frontDeskSettings({ idle: { ...DEFAULT_IDLE_SETTINGS, timeoutSeconds: 5 } }));
    call.speak('item_long', 3_000);
    await call.advance(20_000, 250);
    expect(call.realtime.responses).toEqual([]);
    call.echoMarks();
    await call.advance(5_250, 250);
    expect(call.realtime.responses).toHaveLength(1);
    expect(call.timers.reprompts).toBe(1);
    call.realtime.emit({ type: 'speech_started', audioStartMs: 100 });
    await call.advance(30_000, 250);
    expect(call.realtime.responses).toHaveLength(1);
    expect(call.timers.reprompts).toBe(0);
    call.realtime.emit({ type: 'speech_stopped', audioEndMs: 900 });
    await call.advance(5_250, 250);
    expect(call.realtime.responses).toHaveLength(2);
  });

  it('waits quietly while the caller types digits', async () => {
    const call = setupTimers();
    void call.actions.collectDigits({ count: 8, timeoutMs: 25_000 });
    await call.advance(20_000, 250);
    expect(call.realtime.responses).toEqual([]);
  });

  it('stops with the call', async () => {
    const call = setupTimers();
    call.timers.stop();
    await call.advance(60_000, 1_000);
    expect(call.realtime.responses).toEqual([]);
    expect(call.clock.pendingTimers).toBe(0);
  });
});

describe('CallTimers: maximum duration', () => {
  it('ends the call with the closing line at the limit, even mid-conversation', async () => {
    const call = setupTimers(frontDeskSettings({ maxDuration: { minutes: 1, closingLine: 'Time is up. Goodbye.' } }));
    for (let i = 0; i < 13; i++) {
      call.realtime.emit({ type: 'speech_started', audioStartMs: i });
      await call.advance(2_500, 250);
      call.realtime.emit({ type: 'speech_stopped', audioEndMs: i + 1 });
      answer(call, `t${i}`, 2_000);
      await call.advance(2_500, 250);
    }
    expect(call.realtime.responses).toHaveLength(1);
    expect(call.realtime.responses[0]?.instructions).toContain('Time is up. Goodbye.');
    call.realtime.emit({ type: 'response_started', responseId: 'closing' });
    call.speak('item_closing', 1_000);
    call.realtime.emit({ type: 'response_done', responseId: 'closing', status: 'completed' });
    call.echoMarks();
    await call.advance(500);
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { status: 'completed' } }]);
    expect(call.actions.outcome).toMatchObject({ kind: 'hung_up', by: 'max_duration' });
  });
});
