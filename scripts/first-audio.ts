/**
 * `npm run first-audio`: how long a caller waits for the greeting, measured through the dev tunnel on fakes (see
 * scripts/first-audio/measure-first-audio.ts), with and without the Realtime session pre-warmed while the phone
 * rings. Prints the server's `first audio` log lines and a table.
 *
 *   npm run first-audio -- [--runs 3] [--first-audio-delay 800] [--connect-delay 300] [--stream-open-delay 500]
 */
import { parseArgs } from 'node:util';
import { REALISTIC_REALTIME_TIMING } from '../fakes/realtime-server.js';
import { measureFirstAudio, type FirstAudioMeasurement, type FirstAudioTiming } from './first-audio/measure-first-audio.js';

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number of milliseconds, got ${value}`);
  return n;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'first-audio-delay': { type: 'string', default: String(REALISTIC_REALTIME_TIMING.firstAudioDelayMs) },
      'connect-delay': { type: 'string', default: String(REALISTIC_REALTIME_TIMING.acceptDelayMs) },
      'stream-open-delay': { type: 'string', default: '500' },
    },
  });
  const runs = Math.max(1, Math.round(positive('runs', values.runs)));
  const timing: FirstAudioTiming = {
    realtimeFactor: REALISTIC_REALTIME_TIMING.realtimeFactor,
    firstAudioDelayMs: positive('first-audio-delay', values['first-audio-delay']),
    connectDelayMs: positive('connect-delay', values['connect-delay']),
    streamOpenDelayMs: positive('stream-open-delay', values['stream-open-delay']),
  };
  console.log(
    `fakes: model first audio ${timing.firstAudioDelayMs} ms after response.create, Realtime connect ${timing.connectDelayMs} ms, ` +
      `Twilio opens the media socket ${timing.streamOpenDelayMs} ms after the TwiML\n`,
  );
  const results: FirstAudioMeasurement[] = [];
  for (let run = 0; run < runs; run++) {
    for (const prewarm of [true, false]) {
      const result = await measureFirstAudio({ prewarm, timing });
      results.push(result);
      console.log(`server log: ${JSON.stringify(result.serverLine)}`);
    }
  }
  const rows = [true, false].map((prewarm) => {
    const mine = results.filter((r) => r.prewarm === prewarm);
    return [prewarm ? 'pre-warmed while ringing' : 'connected at stream start', String(median(mine.map((r) => r.serverMs))), String(median(mine.map((r) => r.callerMs))), String(mine.length)];
  });
  const header = ['Realtime session', 'server ms (log)', 'caller ms', 'calls'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  console.log('\nvoice webhook → greeting first audio (median)');
  console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
}

main().catch((error: unknown) => {
  console.error(`first-audio: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
