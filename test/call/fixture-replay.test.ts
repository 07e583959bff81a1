import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeServerOptionsForFixture } from '../../scripts/demo/fake-script.js';
import { networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { replayMismatches } from '../../scripts/sim-caller/replay-expectations.js';
import { runSimulatedCall } from '../../scripts/sim-caller/sim-caller.js';
import { digitsOfKeypadMessage } from '../../src/actions/keypad.js';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { readFixture, type CallFixture } from '../../src/fixtures/call-fixture.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot } from '../../src/server.js';
import { RealtimeFakeServer, type WireEvent } from '../fakes/realtime-server.js';
import type { MarkRecord } from '../../scripts/sim-caller/caller-playback.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'replay-auth-token';
const FIXTURES = path.resolve('test/fixtures/calls');
const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();
/**
 * Call time runs this many times faster than real time; the fake model's delays are scaled to match. A barge-in
 * call runs in real time: where the caller cuts in depends on a window of a few hundred ms of call time.
 */
const speedFor = (fixture: CallFixture): number => (fixture.header.expect.barge_in === true ? 1 : 2);

/** The digits that reached the model: its user text messages that are keypad notices, in order. */
function digitsAtModel(fake: RealtimeFakeServer): string {
  return fake
    .clientEvents('conversation.item.create')
    .flatMap((e: WireEvent) => (e.item as { role?: string; content?: Array<{ type?: string; text?: string }> }).content ?? [])
    .map((part) => (part.type === 'input_text' ? (digitsOfKeypadMessage(part.text ?? '') ?? '') : ''))
    .join('');
}

/** Milliseconds the caller heard of replies the server replaced in the same turn (echoed marks, not flushed). */
function heardOfReplacedReplies(fake: RealtimeFakeServer, marks: readonly MarkRecord[]): number {
  const deleted = new Set(fake.clientEvents('conversation.item.delete').map((e) => String(e.item_id)));
  return Math.max(
    0,
    ...marks.filter((m) => deleted.has(m.name.split(':')[1] ?? '') && m.echoedAtMs !== undefined && !m.flushed).map((m) => Number(m.name.split(':')[2])),
  );
}

/** Milliseconds of caller audio the model received. */
function appendedMs(fake: RealtimeFakeServer): number {
  return fake.clientEvents('input_audio_buffer.append').reduce((ms, e) => ms + Buffer.from(String(e.audio), 'base64').length / 2 / 24, 0);
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.concurrent('every recorded call replayed through the whole bot (real server, Realtime fake, keyword orchestrator)', () => {
  it.each(FILES)('%s produces what its header expects', { timeout: 60_000 }, async (file) => {
    const fixture = await readFixture(path.join(FIXTURES, file));
    const speed = speedFor(fixture);
    const fake = await RealtimeFakeServer.start(fakeServerOptionsForFixture(fixture, speed));
    const ended: CallSummary[] = [];
    const config = loadConfig({ PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_REALTIME_URL: fake.url, CLASSIFIER: 'keyword' });
    const bot = await createVoiceBot(config, {
      logger: createLogger('silent'),
      store: createMemoryCheckpointer(),
      onCallEnded: (summary) => ended.push(summary),
    });
    try {
      await bot.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = bot.app.server.address() as AddressInfo;
      const result = await runSimulatedCall({
        transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${port}` }),
        fixture,
        publicBaseUrl: PUBLIC_BASE_URL,
        authToken: AUTH_TOKEN,
        speed,
      });
      // Clean teardown: the call ended once, the Realtime socket is closed, nothing is left in the manager.
      await until(() => ended.length === 1 && fake.openConnections === 0);
      expect(bot.calls.activeCalls).toBe(0);
      expect(bot.calls.prewarmedSessions).toBe(0);
      const summary = ended[0];
      expect(
        replayMismatches(fixture.header.expect, {
          result,
          intents: summary?.intents,
          agents: summary?.agentChanges,
          dtmfDigits: digitsAtModel(fake),
          bargeIns: summary?.bargeIns,
          truncations: fake.clientEvents('conversation.item.truncate').length,
          reroutes: summary?.reroutes,
          reroutedHeardMs: heardOfReplacedReplies(fake, result.marks),
          inbound: fixture.lines,
          appendedMs: appendedMs(fake),
        }),
      ).toEqual([]);
      // Every clear the caller received was a barge-in or a re-route the server handled, and no event was rejected.
      expect(result.clears).toHaveLength(summary?.clears ?? -1);
      expect(fake.serverEvents('error')).toEqual([]);
    } finally {
      await bot.close();
      await fake.close();
    }
  });
});
