/**
 * Command line for the simulated caller: replays a fixture against a running server as Twilio would.
 *
 *   npm run sim-caller -- --url https://abc.ngrok.app --auth-token $TWILIO_AUTH_TOKEN \
 *     --fixture test/fixtures/calls/intent-change-billing-then-cancel.jsonl [--speed 4] [--out out/bot.wav]
 *
 * `--url` is the server's PUBLIC_BASE_URL (requests are signed over it); `--connect http://127.0.0.1:5050` reaches a
 * local server whose public name points elsewhere. Exits 1 when the call fails or the server broke the protocol.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readFixture } from '../src/fixtures/call-fixture.js';
import { botAudioWav, callAudioWav } from './sim-caller/call-audio.js';
import { formatCallLogEntry, formatCallReport } from './sim-caller/call-log.js';
import { networkTransport } from './sim-caller/network-transport.js';
import { runSimulatedCall } from './sim-caller/sim-caller.js';

const USAGE =
  'usage: sim-caller --url <https public base> --auth-token <twilio auth token> --fixture <file.jsonl> ' +
  '[--connect <http(s) origin>] [--speed <n>] [--out <bot.wav>] [--mix <call.wav>] [--from <+1555…>] [--to <+1555…>]';

function writeFile(file: string, bytes: Uint8Array): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, bytes);
  console.log(`wrote ${file}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'auth-token': { type: 'string' },
      fixture: { type: 'string' },
      connect: { type: 'string' },
      speed: { type: 'string', default: '1' },
      out: { type: 'string' },
      mix: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.url || !values['auth-token'] || !values.fixture) {
    console.error(USAGE);
    return 1;
  }
  const speed = Number(values.speed);
  if (!(speed > 0)) {
    console.error(`--speed must be a number above 0, got ${values.speed}`);
    return 1;
  }
  const fixture = await readFixture(values.fixture);
  console.log(`calling ${values.url} with ${fixture.header.name}: ${fixture.header.description}`);
  const result = await runSimulatedCall({
    transport: networkTransport(values.connect === undefined ? {} : { connectBaseUrl: values.connect }),
    fixture,
    publicBaseUrl: values.url,
    authToken: values['auth-token'],
    speed,
    ...(values.from === undefined ? {} : { from: values.from }),
    ...(values.to === undefined ? {} : { to: values.to }),
    onLog: (entry) => {
      if (entry.who === 'twilio') console.log(formatCallLogEntry(entry));
    },
  });
  console.log('');
  for (const line of formatCallReport(result)) console.log(line);
  const untilMs = Math.max(result.durationMs, result.playback.queueEndMs);
  if (values.out) writeFile(values.out, botAudioWav(result.playback, untilMs));
  if (values.mix) writeFile(values.mix, callAudioWav(fixture, result.playback, untilMs));
  return result.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sim-caller: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
