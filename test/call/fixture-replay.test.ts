import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeScriptForFixture } from '../../scripts/demo/fake-script.js';
import { networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { replayMismatches } from '../../scripts/sim-caller/replay-expectations.js';
import { runSimulatedCall } from '../../scripts/sim-caller/sim-caller.js';
import type { CallSummary } from '../../src/call/call-session.js';
import { loadConfig } from '../../src/config.js';
import { readFixture } from '../../src/fixtures/call-fixture.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { createLogger } from '../../src/logger.js';
import { createVoiceBot } from '../../src/server.js';
import { RealtimeFakeServer } from '../fakes/realtime-server.js';

const PUBLIC_BASE_URL = 'https://bot.example.test';
const AUTH_TOKEN = 'replay-auth-token';
const FIXTURES = path.resolve('test/fixtures/calls');
const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();

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
    const fake = await RealtimeFakeServer.start({ script: fakeScriptForFixture(fixture) });
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
        speed: 2,
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
          truncations: fake.clientEvents('conversation.item.truncate').length,
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
