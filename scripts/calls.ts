/**
 * `npm run calls -- list|show <CallSid>`: reads call records from the configured store (the SQLite file under
 * `DATA_DIR`, or Postgres with `DATABASE_URL`) in the terminal. Arguments are parsed with `node:util` `parseArgs`;
 * a bad argument prints the usage, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { loadStorageConfig, readEnvironment } from '../src/config.js';
import { loadOrExit } from '../src/load-or-exit.js';
import type { CallListItem, CallRecord } from '../src/records/call-record.js';
import { createCallRecordStore, MAX_LIST_LIMIT } from '../src/records/call-record-store.js';

const USAGE = `Usage:
  npm run calls -- list [--limit N] [--before TIME] [--agent NAME] [--end-reason REASON] [--json]
  npm run calls -- show <CallSid> [--json]

Reads call records from the SQLite file under DATA_DIR (default ./data), or from Postgres when DATABASE_URL is set.
  list   newest calls first (default 20, at most ${MAX_LIST_LIMIT}); --before takes an ISO time or epoch ms
  show   one call's whole record: turns, agents, barge-ins, DTMF, actions, latency, usage
  --json print JSON instead of text
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        limit: { type: 'string' },
        before: { type: 'string' },
        agent: { type: 'string' },
        'end-reason': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}

function formatList(calls: readonly CallListItem[]): string {
  if (calls.length === 0) return 'No calls recorded.\n';
  const rows = calls.map((c) => [
    c.startedAt.replace('T', ' ').slice(0, 19),
    c.callSid,
    c.direction,
    c.from ?? '-',
    c.durationMs === null ? 'live' : `${(c.durationMs / 1000).toFixed(1)}s`,
    c.endReason ?? '-',
    c.agents.join('>'),
    c.estimatedCostUsd === null ? '-' : `$${c.estimatedCostUsd.toFixed(4)}`,
  ]);
  const header = ['started (UTC)', 'CallSid', 'direction', 'from', 'duration', 'end reason', 'agents', 'cost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function formatRecord(r: CallRecord): string {
  const out: string[] = [];
  out.push(`${r.callSid} (${r.direction}) from ${r.from ?? '-'} to ${r.to ?? '-'}`);
  out.push(`started ${r.startedAt}, answered ${r.answeredAt ?? '-'}, ended ${r.endedAt ?? '(live)'} — ${r.endReason ?? 'no end reason'}${r.outcome ? `, ${r.outcome}` : ''}`);
  out.push(`agents: ${r.agents.timeline.map((a) => `${a.agent}@${a.fromMs}ms`).join(' → ')}`);
  for (const s of r.agentSwitches) out.push(`  switch ${s.from} → ${s.to} at ${s.atMs} ms (intent ${s.intent ?? '-'}, confidence ${s.confidence ?? '-'})`);
  out.push(`first audio after ${r.firstAudioMs ?? '-'} ms`);
  out.push('turns:');
  for (const t of r.turns) {
    const span = `${t.startMs ?? '?'}–${t.endMs ?? '?'} ms`;
    const extra =
      t.speaker === 'bot'
        ? ` [${t.agent}${t.latencyMs !== undefined ? `, latency ${t.latencyMs} ms` : ''}${t.interrupted ? `, interrupted after ${t.heardMs} ms` : ''}]`
        : '';
    out.push(`  ${t.speaker.padEnd(6)} ${span.padEnd(16)} ${t.text ?? '(not stored)'}${extra}`);
  }
  if (r.bargeIns.length > 0) out.push(`barge-ins: ${r.bargeIns.map((b) => `${b.atMs} ms (heard ${b.heardMs ?? '-'} ms)`).join(', ')}`);
  if (r.dtmf.length > 0) out.push(`dtmf: ${r.dtmf.map((d) => d.digit ?? '•').join('')}`);
  for (const a of r.actions) out.push(`action ${a.action}: ${a.outcome} at ${a.atMs} ms`);
  for (const e of r.realtimeErrors) out.push(`realtime error ${e.code ?? '-'} at ${e.atMs} ms: ${e.message}`);
  const u = r.usage.tokens;
  out.push(
    `usage: ${r.usage.responses} responses; input text ${u.inputTextTokens} (+${u.cachedTextTokens} cached), audio ${u.inputAudioTokens} (+${u.cachedAudioTokens} cached); output text ${u.outputTextTokens}, audio ${u.outputAudioTokens}; ≈ ${r.usage.estimatedCostUsd === null ? 'unknown' : `$${r.usage.estimatedCostUsd.toFixed(4)}`}`,
  );
  if (r.stream) out.push(`stream: ${r.stream.inboundFrames} frames in, ${r.stream.sentMediaMessages} out, ${r.stream.silenceFilledMs} ms filled, mark round trip mean ${r.stream.markRoundTripMs.mean ?? '-'} ms`);
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values, positionals } = parse(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (command !== 'list' && command !== 'show') fail(command === undefined ? 'A command is required.' : `Unknown command "${command}".`);
  if (command === 'show' && rest.length !== 1) fail('show takes exactly one CallSid.');
  if (command === 'list' && rest.length > 0) fail(`list takes no positional argument (got "${rest.join(' ')}").`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) fail(`--limit must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
  let beforeMs: number | undefined;
  if (values.before !== undefined) {
    beforeMs = /^\d+$/.test(values.before) ? Number(values.before) : Date.parse(values.before);
    if (!Number.isFinite(beforeMs)) fail('--before must be an ISO 8601 time or epoch milliseconds.');
  }

  const storage = loadOrExit(() => loadStorageConfig(readEnvironment()));
  const store = await createCallRecordStore(storage);
  try {
    if (command === 'list') {
      const calls = await store.listCalls({ limit, beforeMs, agent: values.agent, endReason: values['end-reason'] });
      process.stdout.write(values.json ? `${JSON.stringify(calls, null, 2)}\n` : formatList(calls));
    } else {
      const callSid = rest[0] as string;
      const record = await store.getCall(callSid);
      if (!record) {
        process.stderr.write(`No call ${callSid} in the records.\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(values.json ? `${JSON.stringify(record, null, 2)}\n` : formatRecord(record));
    }
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`calls: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
