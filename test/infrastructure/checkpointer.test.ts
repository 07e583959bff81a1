import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentCatalogue, type AgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { KeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { createOrchestratorFactory } from '../../src/domain/orchestrator-factory.js';
import { MS_PER_DAY, SQLITE_CHECKPOINT_FILE, createCheckpointer, type CheckpointStore } from '../../src/infrastructure/checkpointer.js';
import { createMemoryCheckpointer } from '../../src/infrastructure/checkpointer-memory.js';
import { openPostgresCheckpointer } from '../../src/infrastructure/checkpointer-postgres.js';
import { recordingLogger } from '../domain/helpers.js';

// Set by .ci/run, which starts a throwaway PostgreSQL on loopback; read here only to gate the real-server test.
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

let catalogue: AgentCatalogue;
beforeAll(async () => {
  catalogue = await loadAgentCatalogue();
});

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2025, 0, 1)) {
  let now = start;
  return { now: () => now, advanceDays: (days: number) => (now += days * MS_PER_DAY) };
}

async function runCall(store: CheckpointStore, callSid: string, transcript: string) {
  const create = createOrchestratorFactory({
    catalogue,
    classifier: new KeywordClassifier({ catalogue }),
    checkpointer: store,
    logger: recordingLogger().logger,
  });
  const orchestrator = create(callSid);
  const result = await orchestrator.invoke({ callSid, transcript, agentType: 'realtime' });
  await orchestrator.dispose();
  return result;
}

async function activeAgentOf(store: CheckpointStore, threadId: string): Promise<unknown> {
  const tuple = await store.saver.getTuple({ configurable: { thread_id: threadId } });
  return tuple?.checkpoint.channel_values.activeAgent;
}

/** The same retention contract for every backend. */
async function expectPruning(store: CheckpointStore, clock: ReturnType<typeof manualClock>, prefix: string, alsoOld = 0) {
  await runCall(store, `${prefix}-old`, 'I want to cancel my service');
  clock.advanceDays(20);
  await runCall(store, `${prefix}-new`, 'my internet is not working');
  clock.advanceDays(15);
  expect(await store.pruneThreads(30)).toBe(1 + alsoOld);
  expect(await activeAgentOf(store, `${prefix}-old`)).toBeUndefined();
  expect(await activeAgentOf(store, `${prefix}-new`)).toBe('technical_support');
  expect(await store.listThreads()).toContain(`${prefix}-new`);
  expect(await store.listThreads()).not.toContain(`${prefix}-old`);
}

describe('SQLite checkpointer (default)', () => {
  it('creates the data directory and keeps a thread across a reopen of the file', async () => {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'ckpt-')), 'nested', 'data');
    const first = await createCheckpointer({ dataDir, databaseUrl: undefined });
    expect(first.kind).toBe('sqlite');
    await runCall(first, 'CA-persist', 'I want to cancel my internet');
    await first.close();
    expect((await stat(path.join(dataDir, SQLITE_CHECKPOINT_FILE))).isFile()).toBe(true);

    const reopened = await createCheckpointer({ dataDir, databaseUrl: undefined });
    expect(await activeAgentOf(reopened, 'CA-persist')).toBe('retention');
    expect(await reopened.listThreads()).toEqual(['CA-persist']);
    // The call's orchestrator after a restart continues the same thread: the window holds both turns.
    await runCall(reopened, 'CA-persist', 'yes close my account');
    const tuple = await reopened.saver.getTuple({ configurable: { thread_id: 'CA-persist' } });
    expect((tuple?.checkpoint.channel_values.window as { text: string }[]).map((turn) => turn.text)).toEqual([
      'I want to cancel my internet',
      'yes close my account',
    ]);
    await reopened.close();
  });

  it('prunes threads unused for longer than the retention', async () => {
    const clock = manualClock();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ckpt-'));
    const store = await createCheckpointer({ dataDir, databaseUrl: undefined }, { now: clock.now });
    await expectPruning(store, clock, 'CA-sqlite');
    await store.close();
  });
});

describe('memory checkpointer (unit tests)', () => {
  it('prunes threads unused for longer than the retention', async () => {
    const clock = manualClock();
    await expectPruning(createMemoryCheckpointer({ now: clock.now }), clock, 'CA-mem');
  });
});

describe('Postgres checkpointer against a real server', () => {
  if (!TEST_DATABASE_URL) {
    console.warn('TEST_DATABASE_URL is not set: the Postgres checkpointer test does not run here (.ci/run sets it).');
  }
  let store: CheckpointStore | undefined;
  const clock = manualClock();
  const suffix = `${process.pid}-${Date.now()}`;
  afterAll(async () => store?.close());

  it.runIf(TEST_DATABASE_URL)('sets up its tables, keeps threads across a reconnect and prunes old ones', async () => {
    const url = TEST_DATABASE_URL ?? '';
    const first = await createCheckpointer({ dataDir: '/nonexistent', databaseUrl: url }, { now: clock.now });
    expect(first.kind).toBe('postgres');
    await runCall(first, `CA-pg-keep-${suffix}`, 'why is my bill so high');
    await first.close();

    store = await openPostgresCheckpointer({ connectionString: url, now: clock.now });
    expect(await activeAgentOf(store, `CA-pg-keep-${suffix}`)).toBe('billing');
    clock.advanceDays(40);
    await expectPruning(store, clock, `CA-pg-${suffix}`, 1);
    expect(await activeAgentOf(store, `CA-pg-keep-${suffix}`)).toBeUndefined();
  });

  it('fails at boot with a readable message when the server cannot be reached', async () => {
    await expect(
      openPostgresCheckpointer({ connectionString: 'postgresql://nobody@127.0.0.1:1/none' }),
    ).rejects.toThrowError(/Cannot set up the Postgres checkpointer at 127\.0\.0\.1:1\/none/);
  });
});
