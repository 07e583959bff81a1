import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { checkServerEvents, FAKE_SERVER_EVENT_TYPES } from './ga-server-events.js';
import { concatPcm, pcmToBase64, RealtimeFakeServer, silence, tone, type WireEvent } from '../../fakes/realtime-server.js';

/** Drives the fake with raw client events through every kind of server event it can send. */
async function exerciseFake(): Promise<WireEvent[]> {
  const fake = await RealtimeFakeServer.start({
    script: {
      greeting: { transcript: 'Welcome.', durationMs: 300 },
      turns: [{ userTranscript: 'Look up my bill', reply: { toolCall: { name: 'lookup_bill', arguments: { month: 'march' }, followUp: { transcript: 'Your bill is fine.', durationMs: 300 } } } }],
      textReply: { transcript: 'Got your keys.', durationMs: 200 },
    },
    transcriptDelayMs: 20,
  });
  const socket = new WebSocket(fake.url, { headers: { Authorization: 'Bearer test' } });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const send = (event: Record<string, unknown>) => socket.send(JSON.stringify(event));
  const done = (n: number) => fake.waitForServerEvent(() => fake.serverEvents('response.done').length >= n, 5_000);
  try {
    send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'Be brief.',
        audio: {
          input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad', interrupt_response: false } },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin' },
        },
      },
    });
    send({ type: 'response.create' });
    await done(1);
    const greetingItem = String((fake.serverEvents('response.output_item.added')[0]!.item as { id: string }).id);
    send({ type: 'conversation.item.truncate', item_id: greetingItem, content_index: 0, audio_end_ms: 100 });
    send({ type: 'conversation.item.retrieve', item_id: greetingItem });
    // A spoken turn: VAD events, the committed user item, its transcript, then a tool call.
    send({ type: 'input_audio_buffer.append', audio: pcmToBase64(concatPcm(tone(300), silence(700))) });
    await done(2);
    await fake.waitForServerEvent('conversation.item.input_audio_transcription.completed');
    const call = fake.serverEvents('response.function_call_arguments.done')[0]!;
    send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"ok":true}' } });
    send({ type: 'response.create' });
    await done(3);
    // A typed message, and a response cancelled before its first audio.
    send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'The caller pressed 1 on the phone keypad.' }] } });
    send({ type: 'response.create' });
    await done(4);
    send({ type: 'input_audio_buffer.append', audio: pcmToBase64(silence(100)) });
    send({ type: 'input_audio_buffer.clear' });
    send({ type: 'conversation.item.delete', item_id: greetingItem });
    send({ type: 'response.cancel' });
    send({ type: 'conversation.item.truncate', item_id: 'item_missing', content_index: 0, audio_end_ms: 0 });
    await fake.waitForServerEvent(() => fake.serverEvents('error').length >= 2);
    return fake.serverEvents();
  } finally {
    socket.close();
    await fake.close();
  }
}

async function exerciseCancel(): Promise<WireEvent[]> {
  const fake = await RealtimeFakeServer.start({ script: { greeting: { transcript: 'A long welcome.', durationMs: 2000 } }, firstAudioDelayMs: 500 });
  const socket = new WebSocket(fake.url, { headers: { Authorization: 'Bearer test' } });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  try {
    socket.send(JSON.stringify({ type: 'response.create' }));
    await fake.waitForServerEvent('response.created');
    socket.send(JSON.stringify({ type: 'response.cancel' }));
    await fake.waitForServerEvent('response.done');
    return fake.serverEvents();
  } finally {
    socket.close();
    await fake.close();
  }
}

describe('the Realtime fake speaks the GA protocol as the openai package types it', () => {
  it('sends only server events that type-check against RealtimeServerEvent, covering every kind it sends', { timeout: 60_000 }, async () => {
    const events = [...(await exerciseFake()), ...(await exerciseCancel())];
    const types = new Set(events.map((e) => e.type));
    for (const type of FAKE_SERVER_EVENT_TYPES) {
      expect(types, type).toContain(type);
    }
    expect(events.some((e) => e.type === 'response.done' && (e.response as { status: string }).status === 'cancelled')).toBe(true);
    // One of each shape is enough for the compiler; deltas repeat.
    const distinct = [...new Map(events.map((e) => [`${e.type}:${JSON.stringify(Object.keys(e).sort())}`, e])).values()];
    expect(checkServerEvents(distinct)).toEqual([]);
  });

  it('catches a drifted event: the function-call arguments without their name, a beta event name, an unknown field', () => {
    const drifted: WireEvent[] = [
      { type: 'response.function_call_arguments.done', event_id: 'e1', response_id: 'r', item_id: 'i', output_index: 0, call_id: 'c', arguments: '{}' },
      { type: 'response.audio.delta', event_id: 'e2', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: '' },
      { type: 'input_audio_buffer.cleared', event_id: 'e3', surprise: true },
    ];
    const mismatches = checkServerEvents(drifted);
    expect(mismatches.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(mismatches[0]!.message).toContain("'name'");
  });
});
