import { afterEach, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/call/call-session.js';
import { createTwilioCallControl } from '../../src/actions/twilio-call-control.js';
import { loadConfig } from '../../src/config.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot, type VoiceBot } from '../../src/server.js';
import { TwilioMediaTransport } from '../../src/telephony/media-transport.js';
import { RealtimeFakeServer, type FakeScript } from '../../fakes/realtime-server.js';
import { FakeMediaSocket, wire } from '../telephony/fakes.js';
import { FakeTwilioRest } from './fakes.js';
import { CALL_SID, golden, STREAM_SID } from './helpers.js';

interface Running {
  readonly bot: VoiceBot;
  readonly fake: RealtimeFakeServer;
}
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.bot.close();
    await r.fake.close();
  }
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The whole bot (call manager, RealtimeService, real RealtimeClient with the tools) against the Realtime fake. */
async function startCall(script: FakeScript, fakeOptions: { acceptDelayMs?: number } = {}) {
  const fake = await RealtimeFakeServer.start({ script, ...fakeOptions });
  const config = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.com', TWILIO_AUTH_TOKEN: 'd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3', OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword' });
  const logger = createLogger('silent');
  const rest = new FakeTwilioRest();
  const ended: CallSummary[] = [];
  const bot = await createVoiceBot(config, {
    logger,
    store: createMemoryCheckpointer(),
    recordStore: await createMemoryCallRecordStore(),
    callControl: createTwilioCallControl({ client: rest, logger }),
    onCallEnded: (summary) => ended.push(summary),
  });
  running.push({ bot, fake });
  const socket = new FakeMediaSocket();
  const transport = new TwilioMediaTransport({ socket, streamSid: STREAM_SID, logger });
  bot.calls.onStreamStarted({
    start: {
      accountSid: 'AC0',
      streamSid: STREAM_SID,
      callSid: CALL_SID,
      tracks: ['inbound'],
      customParameters: {},
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
    transport,
    logger,
  });
  let sequence = 2;
  let echoed = 0;
  const marks = () => socket.sentJson().flatMap((m) => (m.event === 'mark' ? [(m.mark as { name: string }).name] : []));
  return {
    fake,
    rest,
    ended,
    socket,
    marks,
    press(digit: string): void {
      socket.receive(wire.dtmf({ streamSid: STREAM_SID, sequenceNumber: sequence++, digit }));
    },
    echoMarks(): void {
      const names = marks();
      for (const name of names.slice(echoed)) socket.receive(wire.mark({ streamSid: STREAM_SID, sequenceNumber: sequence++, name }));
      echoed = names.length;
    },
    stop(): void {
      socket.receive(wire.stop({ streamSid: STREAM_SID, callSid: CALL_SID, sequenceNumber: sequence++ }));
    },
  };
}

describe('telephony actions in a live call (Realtime fake scripting the tool calls)', () => {
  it('hang_up: the model is asked for a goodbye, and the REST hang-up waits for the mark echo of its audio', async () => {
    const call = await startCall({
      greeting: { toolCall: { name: 'hang_up', arguments: { reason: 'caller is done' }, followUp: { transcript: 'Goodbye!', durationMs: 600 } } },
    });
    await waitFor(() => call.fake.clientEvents('conversation.item.create').length > 0, 'the tool output');
    await waitFor(() => call.fake.serverEvents('response.done').length >= 2 && call.marks().length >= 7, 'the goodbye audio at Twilio');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(call.rest.requests).toEqual([]);
    call.echoMarks();
    await waitFor(() => call.rest.requests.length > 0, 'the hang-up');
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { status: 'completed' } }]);
    call.stop();
    await waitFor(() => call.ended.length === 1 && call.fake.openConnections === 0, 'a clean teardown');
    expect(call.ended[0]).toMatchObject({
      reason: 'twilio_stop',
      outcome: { kind: 'hung_up', by: 'hang_up', reason: 'caller is done' },
      actions: [{ action: 'hang_up', outcome: 'ok' }],
    });
  });

  it('transfer_to_human: <Dial> TwiML through REST, Realtime closed, and the stop that follows is the transfer', async () => {
    const call = await startCall({
      greeting: {
        toolCall: { name: 'transfer_to_human', arguments: { reason: 'wants a person', department: null }, followUp: { transcript: 'unused' } },
      },
    });
    await waitFor(() => call.rest.requests.length > 0, 'the transfer');
    expect(call.rest.requests).toEqual([{ op: 'update', callSid: CALL_SID, params: { twiml: golden('transfer-front-desk.xml') } }]);
    await waitFor(() => call.fake.openConnections === 0, 'the Realtime side to close');
    call.stop();
    await waitFor(() => call.ended.length === 1, 'teardown');
    expect(call.rest.requests).toHaveLength(1);
    expect(call.ended[0]?.outcome).toEqual({ kind: 'transferred', to: '+15550100100', department: undefined, reason: 'wants a person' });
  });

  it('keys pressed while the Realtime session opens reach the model in order once it opens, and are logged only then', async () => {
    const call = await startCall({ greeting: { durationMs: 200 }, textReply: { durationMs: 200 } }, { acceptDelayMs: 1_500 });
    call.press('1');
    call.press('2');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // The batch went to the client while it was still connecting: queued, nothing sent, nothing logged yet.
    expect(call.fake.clientEvents('conversation.item.create')).toEqual([]);
    await waitFor(() => call.fake.clientEvents('conversation.item.create').length === 1, 'the keys at the model');
    const item = call.fake.clientEvents('conversation.item.create')[0]!.item as { content: Array<{ text: string }> };
    expect(item.content[0]!.text).toBe('The caller pressed 1 2 on the phone keypad.');
    call.stop();
    await waitFor(() => call.ended.length === 1, 'teardown');
    expect(call.ended[0]?.actions).toEqual([expect.objectContaining({ action: 'dtmf', outcome: 'ok', details: { digitCount: 2 } })]);
    // Recorded when the session opened (1.5 s), not when the batch was handed over (0.8 s).
    expect(call.ended[0]?.actions?.[0]?.atMs).toBeGreaterThanOrEqual(1_400);
  });
});
