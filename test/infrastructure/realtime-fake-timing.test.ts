import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeFakeServer, type WireEvent } from '../../fakes/realtime-server.js';

let fake: RealtimeFakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Opens a raw socket to the fake; resolves with it and the ms the upgrade took. */
async function open(url: string): Promise<{ socket: WebSocket; events: WireEvent[]; openMs: number }> {
  const startedAt = performance.now();
  const socket = new WebSocket(url, { headers: { authorization: 'Bearer test' } });
  const events: WireEvent[] = [];
  socket.on('message', (data) => events.push(JSON.parse(data.toString()) as WireEvent));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, events, openMs: performance.now() - startedAt };
}

async function firstAudioAfterCreate(socket: WebSocket, events: WireEvent[]): Promise<number> {
  const sentAt = performance.now();
  socket.send(JSON.stringify({ type: 'response.create', event_id: 'evt_1' }));
  for (;;) {
    if (events.some((e) => e.type === 'response.output_audio.delta')) return performance.now() - sentAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Realtime fake timing options', () => {
  it('holds the upgrade for acceptDelayMs and the first audio for firstAudioDelayMs after response.create', async () => {
    fake = await RealtimeFakeServer.start({ script: { greeting: { durationMs: 300 } }, acceptDelayMs: 150, firstAudioDelayMs: 250 });
    const { socket, events, openMs } = await open(fake.url);
    expect(openMs).toBeGreaterThanOrEqual(149);
    const firstAudioMs = await firstAudioAfterCreate(socket, events);
    expect(firstAudioMs).toBeGreaterThanOrEqual(249);
    // response.created still comes at once, as on the real API; only the audio waits.
    expect(events.findIndex((e) => e.type === 'response.created')).toBeLessThan(events.findIndex((e) => e.type === 'response.output_audio.delta'));
    socket.close();
  });

  it('keeps its old behaviour by default: no hold, audio at once', async () => {
    fake = await RealtimeFakeServer.start({ script: { greeting: { durationMs: 300 } } });
    const { socket, events } = await open(fake.url);
    const firstAudioMs = await firstAudioAfterCreate(socket, events);
    expect(firstAudioMs).toBeLessThan(250);
    socket.close();
  });
});
