import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeFakeServer, concatPcm, pcmToBase64, silence, tone } from '../../fakes/realtime-server.js';

let fake: RealtimeFakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('Realtime fake in the demo server mode (loop)', () => {
  it('answers every utterance its energy detector finds with the next reply, looping, and reports unscripted words as their length', async () => {
    fake = await RealtimeFakeServer.start({
      script: {
        turns: [
          { userTranscript: '', reply: { transcript: 'first reply', durationMs: 100 } },
          { userTranscript: 'a scripted caller line', reply: { transcript: 'second reply', durationMs: 100 } },
        ],
        loop: true,
      },
    });
    const ws = new WebSocket(fake.url, { headers: { authorization: 'Bearer test' } });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: 'whisper-1' }, turn_detection: { type: 'server_vad', silence_duration_ms: 500, create_response: true } } } },
    }));
    const transcripts = async (type: string, count: number): Promise<string[]> => {
      const deadline = Date.now() + 5_000;
      while (fake && fake.serverEvents(type).length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return (fake?.serverEvents(type) ?? []).map((e) => String(e.transcript));
    };
    // Three utterances (1.4 s, 0.6 s, 1.0 s), each followed by a second of silence, each after the previous reply.
    for (const [i, ms] of [1_400, 600, 1_000].entries()) {
      ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcmToBase64(concatPcm(tone(ms, 300, 8_000), silence(1_000))) }));
      await transcripts('response.done', i + 1);
    }
    expect(await transcripts('conversation.item.input_audio_transcription.completed', 3)).toEqual(['(speech, 1.4 s)', 'a scripted caller line', '(speech, 1.0 s)']);
    expect(await transcripts('response.output_audio_transcript.done', 3)).toEqual(['first reply', 'second reply', 'first reply']);
    ws.close();
  });
});
