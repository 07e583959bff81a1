/**
 * `npm run bench`: runs every bench section, prints each as a table, and writes all of them as JSON under
 * `bench/results/` (git-ignored). Sections live in `scripts/bench/*.ts`; add one by appending it to SECTIONS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadBench, type LoadReport } from './bench/load.js';
import { runMediaPathBench } from './bench/media-path.js';
import { runOrchestratorLatencyBench, type OrchestratorLatencyReport } from './bench/orchestrator-latency.js';
import { runSameTurnBench, type SameTurnReport } from './bench/same-turn.js';
import type { BenchSection } from './bench/section.js';
import { runReconnectBench, type ReconnectReport } from './reconnect-bench.js';

/** A section's result: a per-frame table, or a report that renders itself (the load ladder, the orchestrator). */
type SectionResult = BenchSection | LoadReport | OrchestratorLatencyReport | SameTurnReport | ReconnectReport;

const SECTIONS: readonly { readonly id: string; readonly run: () => SectionResult | Promise<SectionResult> }[] = [
  { id: 'media-path', run: runMediaPathBench },
  { id: 'orchestrator', run: () => runOrchestratorLatencyBench() },
  { id: 'same-turn', run: () => runSameTurnBench() },
  { id: 'load', run: () => runLoadBench() },
  { id: 'reconnect', run: () => runReconnectBench() },
];

/** `--section <id>` runs only that section (repeatable); default all. */
function selectedSections(argv: readonly string[]): Set<string> | undefined {
  const ids = argv.flatMap((arg, i) => (arg === '--section' && argv[i + 1] ? [argv[i + 1] as string] : []));
  return ids.length > 0 ? new Set(ids) : undefined;
}

function formatTable(section: BenchSection): string {
  const header = ['operation', 'median µs', 'p99 µs', 'x realtime', 'frames'];
  const body = section.rows.map((r) => [
    r.name,
    r.medianUs.toFixed(2),
    r.p99Us.toFixed(2),
    Math.round(r.xRealtime).toLocaleString('en-US'),
    String(r.frames),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((cells) => (cells[c] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  return [
    section.title,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    ...section.notes.map((n) => `  ${n}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const results: Record<string, SectionResult> = {};
  const only = selectedSections(process.argv);
  for (const section of SECTIONS) {
    if (only && !only.has(section.id)) continue;
    const result = await section.run();
    results[section.id] = result;
    console.log(`${'kind' in result ? `${result.title}\n${result.text}` : formatTable(result)}\n`);
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const meta = { node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify({ meta, sections: results }, null, 2)}\n`);
  console.log(`results written to ${path.relative(root, file)}`);
}

await main();
