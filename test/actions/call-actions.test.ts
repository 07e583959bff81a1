import { describe, expect, it } from 'vitest';
import { restError, settle } from './fakes.js';
import { CALL_SID, frontDeskSettings, golden, setupCall } from './helpers.js';

describe('hang_up', () => {
  it('ends the call only after Twilio echoes the mark after the goodbye', async () => {
    const call = setupCall();
    call.speak('item_bye', 600);
    let reply: unknown;
    void call.actions.hangUp('caller said goodbye').then((r) => (reply = r));
    await call.advance(3_000);
    expect(call.rest.requests).toEqual([]);
    expect(call.echoMarks()).toBeGreaterThan(0);
    await call.advance(400);
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { status: 'completed' } }]);
    expect(reply).toEqual({ text: 'The call has ended.', respond: false });
    expect(call.actions.outcome).toEqual({ kind: 'hung_up', by: 'hang_up', reason: 'caller said goodbye' });
    expect(call.actions.log.entries()).toMatchObject([{ action: 'hang_up', outcome: 'ok', reason: 'caller said goodbye' }]);
  });

  it('asks the model for a goodbye when none was spoken, and hangs up once that goodbye has played', async () => {
    const call = setupCall();
    const reply = await call.actions.hangUp('done');
    expect(reply.respond).toBe(true);
    expect(reply.text).toContain('goodbye');
    call.realtime.emit({ type: 'response_started', responseId: 'resp_bye' });
    call.speak('item_bye', 500);
    call.realtime.emit({ type: 'response_done', responseId: 'resp_bye', status: 'completed' });
    await call.advance(2_000);
    expect(call.rest.requests).toEqual([]);
    call.echoMarks();
    await call.advance(400);
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { status: 'completed' } }]);
  });

  it('treats Twilio 20404 (call already over) as done', async () => {
    const call = setupCall();
    call.rest.failNext(restError(404, 20404, 'The requested resource was not found'));
    call.speak('item_bye', 100);
    call.echoMarks();
    const pending = call.actions.hangUp('bye');
    await call.advance(500);
    expect(await pending).toEqual({ text: 'The call has ended.', respond: false });
    expect(call.actions.log.entries()).toMatchObject([{ action: 'hang_up', outcome: 'already_ended' }]);
  });

  it('reports a REST failure to the model as the tool result and keeps the call usable', async () => {
    const call = setupCall();
    call.rest.failNext(restError(500, 20500, 'Internal Server Error'));
    call.speak('item_bye', 100);
    call.echoMarks();
    const pending = call.actions.hangUp('bye');
    await call.advance(500);
    const reply = await pending;
    expect(reply.respond).toBe(true);
    expect(reply.text).toContain('Internal Server Error');
    expect(call.actions.outcome).toEqual({ kind: 'active' });
    expect(call.actions.ending).toBe(false);
    expect(call.actions.log.entries()).toMatchObject([{ action: 'hang_up', outcome: 'failed', details: { code: 20500 } }]);
    expect(call.lines.some((l) => l.msg === 'call action failed')).toBe(true);
  });

  it('reports a REST request that never answers as a timeout', async () => {
    const call = setupCall();
    call.rest.failNext('hang');
    const pending = call.actions.finishWithLine('Goodbye.', 'max_duration');
    await settle();
    expect(call.realtime.responses).toHaveLength(1);
    call.realtime.emit({ type: 'response_started', responseId: 'r' });
    call.realtime.emit({ type: 'response_done', responseId: 'r', status: 'completed' });
    await call.advance(11_000, 500);
    await pending;
    expect(call.actions.log.entries()).toMatchObject([{ action: 'max_duration', outcome: 'failed' }]);
    expect(String(call.actions.log.entries()[0]?.details?.error)).toContain('timed out');
  });
});

describe('transfer_to_human', () => {
  it('lets the announcement play, then sends the golden <Dial> TwiML, closes Realtime and expects the stop', async () => {
    const call = setupCall();
    call.speak('item_connecting', 400);
    let reply: unknown;
    void call.actions.transfer('caller asked for a person', undefined).then((r) => (reply = r));
    await call.advance(2_000);
    expect(call.rest.requests).toEqual([]);
    call.echoMarks();
    await call.advance(400);
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { twiml: golden('transfer-number.xml') } }]);
    expect(reply).toMatchObject({ respond: false });
    await settle();
    expect(call.realtime.disconnects).toBe(1);
    call.stop();
    await call.advance(1_000);
    expect(call.rest.requests).toHaveLength(1);
    expect(call.actions.outcome).toEqual({ kind: 'transferred', to: '+15550100200', department: undefined, reason: 'caller asked for a person' });
    expect(call.actions.log.entries()).toMatchObject([{ action: 'transfer', outcome: 'ok', details: { to: '+15550100200' } }]);
  });

  it('dials the SIP address of the requested department', async () => {
    const call = setupCall({}, frontDeskSettings({ transferAnnouncement: undefined }));
    const pending = call.actions.transfer('router broken', 'technical_support');
    await call.advance(500);
    await pending;
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { twiml: golden('transfer-sip.xml') } }]);
    expect(call.actions.outcome).toMatchObject({ kind: 'transferred', to: 'sip:tier2@support.northwind.example', department: 'technical_support' });
  });

  it('returns a failed transfer to the model and does not mark the call transferred', async () => {
    const call = setupCall();
    call.rest.failNext(restError(400, 21220, 'Call is not in-progress. Cannot redirect.'));
    const pending = call.actions.transfer('needs a person', undefined);
    await call.advance(500);
    const reply = await pending;
    expect(reply.respond).toBe(true);
    expect(call.actions.outcome).toEqual({ kind: 'active' });
    expect(call.realtime.disconnects).toBe(0);
    expect(call.actions.log.entries()).toMatchObject([{ action: 'transfer', outcome: 'failed', details: { code: 21220 } }]);
  });

  it('refuses when the agent has no destination configured', async () => {
    const call = setupCall({}, frontDeskSettings({ transferTo: undefined, transferDepartments: {} }));
    const reply = await call.actions.transfer('needs a person', undefined);
    expect(reply.respond).toBe(true);
    expect(call.rest.requests).toEqual([]);
    expect(call.actions.log.entries()).toMatchObject([{ action: 'transfer', outcome: 'refused' }]);
  });
});

describe('collect_digits and DTMF', () => {
  it('stops at the requested count and keeps the digits away from the model and the orchestrator', async () => {
    const call = setupCall();
    const pending = call.actions.collectDigits({ count: 4, timeoutMs: 5_000 });
    for (const digit of '1234') call.press(digit);
    expect(await pending).toEqual({ text: JSON.stringify({ digits: '1234', terminatedBy: 'count' }), respond: true });
    await call.advance(2_000);
    expect(call.realtime.texts).toEqual([]);
    expect(call.actions.log.entries()).toEqual([
      expect.objectContaining({ action: 'collect_digits', outcome: 'ok', details: { digitCount: 4, terminatedBy: 'count' } }),
    ]);
    expect(JSON.stringify(call.lines)).not.toContain('1234');
  });

  it('stops at the terminator key, which is not part of the digits', async () => {
    const call = setupCall();
    const pending = call.actions.collectDigits({ terminator: '#', timeoutMs: 5_000 });
    for (const digit of '98#') call.press(digit);
    expect(await pending).toEqual({ text: JSON.stringify({ digits: '98', terminatedBy: 'terminator' }), respond: true });
  });

  it('stops when no key comes within the timeout, which restarts after every key', async () => {
    const call = setupCall();
    let reply: { text: string } | undefined;
    void call.actions.collectDigits({ count: 6, timeoutMs: 3_000 }).then((r) => (reply = r));
    await call.advance(2_500);
    call.press('5');
    await call.advance(2_500);
    expect(reply).toBeUndefined();
    await call.advance(600);
    expect(reply?.text).toBe(JSON.stringify({ digits: '5', terminatedBy: 'timeout' }));
  });

  it('tells the model when nothing was typed', async () => {
    const call = setupCall();
    const pending = call.actions.collectDigits({ count: 4, timeoutMs: 1_000 });
    await call.advance(1_100);
    expect((await pending).text).toContain('No digits were entered');
    expect(call.actions.log.entries()).toMatchObject([{ action: 'collect_digits', outcome: 'timeout' }]);
  });

  it('relays key presses outside a collection to the model, batched, and records it once delivered', async () => {
    const call = setupCall();
    call.press('1');
    await call.advance(300);
    call.press('2');
    await call.advance(1_000);
    expect(call.realtime.texts).toEqual(['The caller pressed 1 2 on the phone keypad.']);
  });

  it('relays no key pressed while the call is being ended', async () => {
    const call = setupCall();
    void call.actions.hangUp('done');
    call.press('5');
    await call.advance(1_000);
    expect(call.realtime.texts).toEqual([]);
  });
});

describe('tool grants', () => {
  it('follows the current agent: a tool it is not granted is refused and recorded', () => {
    const call = setupCall();
    expect(call.actions.allows('transfer_to_human')).toBe(true);
    call.state.settings = frontDeskSettings({ agent: 'retention', tools: ['hang_up'] });
    expect(call.actions.allows('transfer_to_human')).toBe(false);
    expect(call.actions.refuse('transfer_to_human').respond).toBe(true);
    expect(call.actions.log.entries()).toMatchObject([{ action: 'tool_refused', details: { tool: 'transfer_to_human' } }]);
  });
});
