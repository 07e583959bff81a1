import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { RealtimeFakeServer, chunkPcm, concatPcm, silence, tone, type WireEvent } from '../../fakes/realtime-server.js';
import { FAKE_SERVER_EVENT_TYPES } from '../fakes/ga-server-events.js';

/**
 * The fake must be indistinguishable from the real server for the real SDK: every event it sends has to pass the
 * SDK's zod schemas (an event that fails them is silently treated as "generic" and ignored), and nothing may
 * surface as an `error` or an unhandled rejection.
 */
describe('fake Realtime server with the real @openai/agents-realtime session', () => {
  let server: RealtimeFakeServer | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };

  afterEach(async () => {
    process.off('unhandledRejection', onRejection);
    await server?.close();
    server = undefined;
  });

  it('runs a greeting, a spoken turn, a tool call and a truncate without any schema error', async () => {
    process.on('unhandledRejection', onRejection);
    server = await RealtimeFakeServer.start({
      script: {
        greeting: { transcript: 'Hello, how can I help?', durationMs: 600 },
        turns: [
          {
            userTranscript: 'What time is it?',
            reply: {
              toolCall: {
                name: 'get_time',
                arguments: { zone: 'UTC' },
                followUp: { transcript: 'It is noon.', durationMs: 400 },
              },
            },
          },
        ],
      },
    });
    const transport = new OpenAIRealtimeWebSocket();
    const parsedCounts = new Map<string, number>();
    const countParsed = (type: string) => () => parsedCounts.set(type, (parsedCounts.get(type) ?? 0) + 1);
    for (const type of FAKE_SERVER_EVENT_TYPES) transport.on(type as 'audio', countParsed(type));
    const errors: unknown[] = [];
    const toolCalls: unknown[] = [];
    const agent = new RealtimeAgent({
      name: 'fidelity',
      instructions: 'Be brief.',
      tools: [
        tool({
          name: 'get_time',
          description: 'Current time',
          parameters: z.object({ zone: z.string() }),
          execute: async ({ zone }) => {
            toolCalls.push(zone);
            return '12:00';
          },
        }),
      ],
    });
    const session = new RealtimeSession(agent, { transport, model: 'gpt-realtime', tracingDisabled: true });
    session.on('error', (e) => errors.push(e));
    await session.connect({ apiKey: 'test-key', url: server.url });

    transport.requestResponse();
    await server.waitForServerEvent('response.done');
    const speech = concatPcm(tone(400), silence(700));
    for (const chunk of chunkPcm(speech, 20)) session.sendAudio(chunk.slice().buffer);
    const followUpDone = await server.waitForServerEvent(
      (e) => e.type === 'response.done' && server!.serverEvents('response.done').length >= 3,
    );
    const assistantItemId = ((followUpDone.response as { output: Array<{ id: string }> }).output[0] ?? { id: '' }).id;
    transport.sendEvent({ type: 'conversation.item.truncate', item_id: assistantItemId, content_index: 0, audio_end_ms: 100 });
    await server.waitForServerEvent('conversation.item.truncated');
    await server.waitForServerEvent((e) => e.type === 'conversation.item.retrieved' && (e.item as { id: string }).id === assistantItemId);
    // Let the client read everything the server sent before closing.
    await vi.waitFor(() => expect(parsedCounts.get('conversation.item.retrieved')).toBe(server!.serverEvents('conversation.item.retrieved').length));
    session.close();

    expect(errors).toEqual([]);
    expect(rejections).toEqual([]);
    expect(toolCalls).toEqual(['UTC']);
    expect(server.serverEvents('error')).toEqual([]);
    const sentCounts = new Map<string, number>();
    for (const event of server.serverEvents()) sentCounts.set(event.type, (sentCounts.get(event.type) ?? 0) + 1);
    for (const [type, count] of sentCounts) {
      expect({ type, parsed: parsedCounts.get(type) ?? 0 }).toEqual({ type, parsed: count });
    }
    expect(server.serverEvents().every((e: WireEvent) => typeof e.event_id === 'string')).toBe(true);
    // Every transcription completion and truncate made the SDK retrieve the item, and every retrieve was answered.
    expect(server.serverEvents('conversation.item.retrieved')).toHaveLength(server.clientEvents('conversation.item.retrieve').length);
    expect(server.clientEvents('conversation.item.create').some((e) => (e.item as { type: string }).type === 'function_call_output')).toBe(true);
  });
});
