/**
 * CPU of one caller turn through the intent graph (what the intent worker thread spends per transcript): the
 * compiled graph with the keyword classifier and the SQLite checkpointer in a temporary directory, run on this
 * thread through the production runner, `CALLS` threads interleaved as live calls are. Reported as CPU ms per turn
 * (`process.cpuUsage`, this process only runs the graph) after a warm-up. The process is tuned as the worker
 * thread is (`tuneWorkerRuntime`) unless `untuned` is passed:
 *
 *   npx tsx scripts/bench/intent-turn-cpu.ts [turns=2000] [untuned] Each run gets its own abort signal, as in
 * the worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { compileIntentGraph } from '../../src/domain/intent-graph.js';
import { createInThreadRunner } from '../../src/domain/intent-runner.js';
import { KeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { tuneWorkerRuntime } from '../../src/domain/worker/worker-runtime.js';
import { openSqliteCheckpointer } from '../../src/infrastructure/checkpointer-sqlite.js';

const CALLS = 50;
const WARMUP_TURNS = 300;
const SENTENCES = [
  'I would like to check my bill please',
  'My internet keeps dropping every evening and the router light is red.',
  'yes',
  'What faster plans do you have for my home?',
];

/** CPU milliseconds per turn over `turns` turns (after the warm-up). */
export async function measureIntentTurnCpu(turns = 2000): Promise<{ turns: number; cpuMsPerTurn: number; wallMsPerTurn: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'voicebot-turn-cpu-'));
  const store = openSqliteCheckpointer({ dataDir });
  try {
    const catalogue = await loadAgentCatalogue();
    const graph = compileIntentGraph({ catalogue, classifier: new KeywordClassifier({ catalogue }), checkpointer: store.saver });
    const runner = createInThreadRunner(graph, store);
    let seq = 0;
    const turn = (i: number): Promise<unknown> =>
      runner.run({ threadId: `CAturn${i % CALLS}`, input: { window: [{ seq: ++seq, text: SENTENCES[i % SENTENCES.length] as string }], initialAgent: catalogue.defaultAgent } }, new AbortController().signal);
    for (let i = 0; i < WARMUP_TURNS; i++) await turn(i);
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let i = 0; i < turns; i++) await turn(i);
    const used = process.cpuUsage(cpu);
    return { turns, cpuMsPerTurn: (used.user + used.system) / 1000 / turns, wallMsPerTurn: (performance.now() - wall) / turns };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tuned = process.argv[3] !== 'untuned';
  if (tuned) tuneWorkerRuntime();
  const result = await measureIntentTurnCpu(Number(process.argv[2] ?? 2000));
  console.log(`intent graph (${tuned ? 'tuned as the worker' : 'untuned'}): ${result.turns} turns, ${result.cpuMsPerTurn.toFixed(3)} CPU ms/turn, ${result.wallMsPerTurn.toFixed(3)} wall ms/turn`);
}
