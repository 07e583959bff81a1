/**
 * Orchestrator section of `npm run bench`: wall-clock time from a caller's final transcript arriving at the server
 * to the `session.update` carrying the specialist's instructions arriving back at the Realtime endpoint, through the
 * production pieces (real `RealtimeClient` on loopback to the Realtime fake, `RealtimeService`, the LangGraph
 * orchestrator with the keyword classifier and the SQLite checkpointer in a temporary `DATA_DIR`).
 * Each sample is a fresh call whose first specialist turn switches the agent, the case that produces an update.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { buildInstructions } from '../../src/domain/instructions.js';
import { startOrchestration } from '../../src/domain/orchestration.js';
import { loadConfig } from '../../src/config.js';
import { openSqliteCheckpointer } from '../../src/infrastructure/checkpointer-sqlite.js';
import { createRealtimeClient, realtimeClientOptionsFrom } from '../../src/infrastructure/openai-realtime/create-realtime-client.js';
import { createLogger } from '../../src/logger.js';
import type { PlaybackControl } from '../../src/service/playback.js';
import { RealtimeService } from '../../src/service/realtime-service.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { quantile } from './measure.js';

/** Caller sentences that each move the front desk to a specialist (one per sample, cycled). */
const SWITCHING_TURNS = [
  'I have a question about my bill, I was charged twice this month.',
  'My internet keeps dropping every evening and the router light is red.',
  'I want to cancel my internet service.',
  'What faster plans do you have for my home?',
];

/** A caller that hears nothing: the bench measures the orchestrator, not barge-in. */
const silentPlayback: PlaybackControl = { isAudible: () => false, pending: () => [], clear: () => [], confirmedPlayedMs: () => 0 };

/** Latency figures in milliseconds. */
export interface OrchestratorLatency {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Runs `samples` calls and measures transcript → session.update for each. */
export async function measureOrchestratorLatency(samples = 200): Promise<OrchestratorLatency> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'voicebot-bench-'));
  const logger = createLogger('silent');
  const fake = await RealtimeFakeServer.start({});
  const store = await openSqliteCheckpointer({ dataDir });
  const catalogue = await loadAgentCatalogue();
  // The production wiring: the intent graph in its worker thread, keyword classifier, SQLite under DATA_DIR.
  const config = loadConfig({
    PUBLIC_BASE_URL: 'https://bench.invalid',
    TWILIO_AUTH_TOKEN: 'be0be0be0be0be0be0be0be0be0be0be',
    OPENAI_REALTIME_URL: fake.url,
    CLASSIFIER: 'keyword',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  });
  const orchestration = await startOrchestration({ config, catalogue, store, logger, thread: 'worker' });
  const factory = orchestration.createOrchestrator;
  const latencies: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const callSid = `CAbench${String(i).padStart(6, '0')}`;
      const orchestrator = factory(callSid);
      const instructions = buildInstructions(catalogue, catalogue.defaultAgent);
      const client = createRealtimeClient(realtimeClientOptionsFrom(config, { name: 'bench', instructions, logger }));
      const service = new RealtimeService(
        { initialInstruction: instructions, agentType: 'realtime' },
        orchestrator,
        { client, playback: silentPlayback, logger, callSid, audioFormat: config.openai.realtimeAudioFormat },
      );
      await service.connect();
      const updatesBefore = fake.clientEvents('session.update').length;
      const updated = fake.waitForClientEvent((e) => e.type === 'session.update' && fake.clientEvents('session.update').length > updatesBefore + 1, 10_000);
      const sentAt = performance.now();
      fake.inject({
        type: 'conversation.item.input_audio_transcription.completed',
        event_id: `event_bench_${i}`,
        item_id: `item_bench_${i}`,
        content_index: 0,
        transcript: SWITCHING_TURNS[i % SWITCHING_TURNS.length] ?? '',
      });
      await updated;
      latencies.push(performance.now() - sentAt);
      await service.close();
      await orchestrator.dispose();
    }
  } finally {
    await orchestration.close();
    await fake.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    samples: latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: Math.max(...latencies),
  };
}

/** The orchestrator section of `npm run bench`, rendered as a one-row table. */
export interface OrchestratorLatencyReport {
  readonly kind: 'orchestrator';
  readonly title: string;
  readonly latency: OrchestratorLatency;
  readonly text: string;
}

/** Runs the measurement and renders it for `scripts/bench.ts`. */
export async function runOrchestratorLatencyBench(samples = 200): Promise<OrchestratorLatencyReport> {
  const latency = await measureOrchestratorLatency(samples);
  const text = [
    '| path | samples | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|',
    `| caller transcript -> session.update with the specialist's instructions | ${latency.samples} | ${latency.p50Ms.toFixed(2)} | ${latency.p99Ms.toFixed(2)} | ${latency.maxMs.toFixed(2)} |`,
    '  wall clock on loopback: Realtime fake -> RealtimeClient -> RealtimeService -> intent worker thread (LangGraph, keyword classifier, SQLite checkpointer) -> session.update back at the fake',
  ].join('\n');
  return { kind: 'orchestrator', title: 'Orchestrator: transcript received -> session.update sent (keyword classifier, SQLite on)', latency, text };
}
