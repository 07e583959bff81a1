/**
 * `npm run demo`: one whole call with no account and no network. Starts the real server on loopback, the local
 * Realtime fake (scripted replies with audible audio), the LangGraph orchestrator with the keyword classifier and
 * a SQLite checkpointer, and the simulated Twilio caller replaying a recorded call. Prints the conversation, each
 * agent change and the timings, writes the call's audio as WAV (caller left, bot right), and exits 0.
 *
 *   npm run demo [-- --fixture test/fixtures/calls/<name>.jsonl] [--speed 1] [--out out/demo-call.wav]
 *   npm run demo -- --serve [--port N]   (keeps the server and the fake running for the console and its softphone)
 *
 * The bot speaks committed espeak-ng clips (scripts/demo/reply-clips.ts); `out/demo-call.html` shows the call.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { callAudioWav } from './sim-caller/call-audio.js';
import { networkTransport } from './sim-caller/network-transport.js';
import { replayMismatches } from './sim-caller/replay-expectations.js';
import { runSimulatedCall } from './sim-caller/sim-caller.js';
import { demoCallPage } from './demo/demo-page.js';
import { fakeScriptForFixture, fakeServerOptionsForFixture } from './demo/fake-script.js';
import { digitsOfKeypadMessage } from '../src/actions/keypad.js';
import type { CallSummary } from '../src/call/call-session.js';
import { loadConfig } from '../src/config.js';
import { readFixture } from '../src/fixtures/call-fixture.js';
import { createLogger } from '../src/logger.js';
import { createVoiceBot } from '../src/server.js';
import type { ServiceEvent } from '../src/service/service-events.js';
import { RealtimeFakeServer } from '../fakes/realtime-server.js';

const PUBLIC_BASE_URL = 'https://demo.voicebot.invalid';
/** Any well-formed token: the demo's caller and server share it. */
const AUTH_TOKEN = 'de0de0de0de0de0de0de0de0de0de0de';

const USAGE = `usage: npm run demo [-- --fixture <call.jsonl>] [--speed <n>] [--out <call.wav>] [--data-dir <dir>]
       npm run demo -- --serve [--port <n>]
Runs one offline call (real server, local Realtime fake, simulated Twilio caller) and writes the call's WAV
(left channel: caller, right channel: bot) and a page of it (same name, .html). With --serve, keeps the server and
the fake running and prints the console URL, its admin key and what npm run sim-caller needs to call it.`;

function parseCommandLine(): ReturnType<typeof parseDemoArgs> {
  try {
    return parseDemoArgs();
  } catch (error) {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

function parseDemoArgs() {
  return parseArgs({
    options: {
      fixture: { type: 'string', default: 'test/fixtures/calls/intent-change-billing-then-cancel.jsonl' },
      speed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'out/demo-call.wav' },
      'data-dir': { type: 'string', default: 'data/demo' },
      serve: { type: 'boolean', default: false },
      port: { type: 'string', default: '5050' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

const { values } = parseCommandLine();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const speed = Number(values.speed);
if (!(speed > 0)) {
  console.error(`demo: --speed must be a positive number, got ${values.speed}`);
  process.exit(2);
}
const servePort = Number(values.port);
if (!Number.isInteger(servePort) || servePort < 0 || servePort > 65535) {
  console.error(`demo: --port must be a port number, got ${values.port}`);
  process.exit(2);
}

function stamp(ms: number): string {
  return `${(ms / 1000).toFixed(2).padStart(6)} s`;
}

/**
 * `--serve`: the server and the fake stay up. The fake answers each utterance its energy detector finds with the
 * next scripted reply (looping) and reports the caller's words as `(speech, 1.4 s)`.
 */
async function serve(): Promise<void> {
  const fixture = await readFixture(path.resolve(values.fixture));
  const script = fakeScriptForFixture(fixture, 1);
  const turns = (script.turns ?? []).map((turn) => ({ ...turn, userTranscript: '' }));
  const fake = await RealtimeFakeServer.start({ script: { ...script, turns, loop: true }, realtimeFactor: 0.25, transcriptDelayMs: 450 });
  const adminKey = randomBytes(18).toString('base64url');
  const config = loadConfig({
    PUBLIC_BASE_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_REALTIME_URL: fake.url,
    CLASSIFIER: 'keyword',
    DATA_DIR: values['data-dir'],
    ADMIN_API_KEY: adminKey,
    PORT: String(servePort),
  });
  const bot = await createVoiceBot(config, { logger: createLogger('warn') });
  await bot.app.listen({ host: '127.0.0.1', port: servePort });
  const { port } = bot.app.server.address() as AddressInfo;
  console.log(`Offline demo server (Realtime fake at ${fake.url}; the bot's replies are espeak-ng clips, looping)`);
  console.log(`Console: http://127.0.0.1:${port}/console`);
  console.log(`Admin key: ${adminKey}`);
  console.log(`PUBLIC_BASE_URL=${PUBLIC_BASE_URL}`);
  console.log(`TWILIO_AUTH_TOKEN=${AUTH_TOKEN}`);
  console.log(
    `Call it with: npm run sim-caller -- --url ${PUBLIC_BASE_URL} --auth-token ${AUTH_TOKEN} --connect http://127.0.0.1:${port} --fixture ${values.fixture}`,
  );
  console.log('Softphone recordings: left channel caller, right channel bot. Ctrl-C stops.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bot.close();
  await fake.close();
}

async function main(): Promise<void> {
  if (values.serve) return serve();
  const fixture = await readFixture(path.resolve(values.fixture));
  // The fake model keeps production timing (transcript 300–700 ms after the turn, first audio 600–1200 ms), in call time.
  const fake = await RealtimeFakeServer.start(fakeServerOptionsForFixture(fixture, speed));
  const config = loadConfig({
    PUBLIC_BASE_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_REALTIME_URL: fake.url,
    CLASSIFIER: 'keyword',
    DATA_DIR: values['data-dir'],
    PORT: '0',
  });
  const t0 = performance.now();
  const lines: string[] = [];
  const print = (line: string): void => {
    lines.push(line);
    console.log(line);
  };
  let transcriptAt = 0;
  const updateLatencies: number[] = [];
  const onServiceEvent = (_callSid: string, event: ServiceEvent): void => {
    const at = performance.now() - t0;
    switch (event.type) {
      case 'transcript':
        if (!event.final) return;
        if (event.role === 'user') transcriptAt = performance.now();
        print(`${stamp(at)}  ${event.role === 'user' ? 'caller' : 'bot   '}  ${event.text}`);
        return;
      case 'instructions_updated':
        updateLatencies.push(performance.now() - transcriptAt);
        print(`${stamp(at)}  ----->  agent is now "${event.agent ?? '?'}" (session.update ${(performance.now() - transcriptAt).toFixed(1)} ms after the transcript)`);
        return;
      case 'intent':
        if (event.result.intent !== 'none') print(`${stamp(at)}  intent  ${event.result.intent} (confidence ${event.result.confidence.toFixed(2)})`);
        return;
      case 'barge_in':
        print(
          `${stamp(at)}  barge-in: Twilio cleared${event.cancelledResponseId ? ', reply in flight cancelled' : ''}` +
            `${event.truncations.length > 0 ? `, truncated at ${event.truncations.map((t) => `${t.audioEndMs} ms`).join(', ')}` : ''}` +
            `${event.deletedItemIds.length > 0 ? `, ${event.deletedItemIds.length} unheard item(s) deleted` : ''}`,
        );
        return;
      case 'reply_rerouted':
        print(`${stamp(at)}  ----->  the reply to this turn was not heard yet: replaced by "${event.agent}"'s (cancel, session.update, response.create)`);
        return;
      default:
        return;
    }
  };
  const ended: CallSummary[] = [];
  const bot = await createVoiceBot(config, { logger: createLogger('warn'), onServiceEvent, onCallEnded: (s) => ended.push(s) });
  try {
    await bot.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = bot.app.server.address() as AddressInfo;
    console.log(`Offline demo: server on 127.0.0.1:${port}, Realtime fake at ${fake.url}, ${bot.store.kind} store in ${config.dataDir}`);
    console.log(`Replaying "${fixture.header.name}": ${fixture.header.description}`);
    console.log(`(speed ${speed}x; the bot's voice is espeak-ng clips of the fake's scripted replies)\n`);
    const result = await runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: `http://127.0.0.1:${port}` }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      speed,
    });
    const deadline = Date.now() + 5_000;
    while (ended.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const summary = ended[0];

    const outFile = path.resolve(values.out);
    mkdirSync(path.dirname(outFile), { recursive: true });
    const wav = callAudioWav(fixture, result.playback, Math.max(result.durationMs, result.playback.queueEndMs));
    writeFileSync(outFile, wav);
    const echoed = result.marks.filter((m) => m.echoedAtMs !== undefined && !m.flushed).length;
    console.log('');
    console.log(`call ended by the ${result.endedBy} after ${(result.durationMs / 1000).toFixed(1)} s of call time (${summary?.reason ?? 'no summary'})`);
    console.log(`agents: ${[bot.catalogue.defaultAgent, ...(summary?.agentChanges ?? [])].join(' -> ')}`);
    console.log(
      `media: ${fake.clientEvents('input_audio_buffer.append').length} appends to the model, ${(result.botAudioMs / 1000).toFixed(1)} s of bot audio, ` +
        `${echoed} marks played, ${result.clears.length} clear(s)`,
    );
    if (updateLatencies.length > 0) {
      console.log(`transcript -> session.update: ${updateLatencies.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`);
    }
    console.log(`call audio written to ${path.relative(process.cwd(), outFile)} (left channel: caller, right channel: bot)`);
    await bot.telemetry.recordsSink.settled();
    const record = await bot.telemetry.records.getCall(result.callSid);
    if (record) {
      const pageFile = outFile.replace(/\.wav$/i, '') + '.html';
      writeFileSync(pageFile, demoCallPage({ record, stereoWav: wav, title: `Demo call: ${fixture.header.name}` }));
      console.log(`call page written to ${path.relative(process.cwd(), pageFile)}`);
    }
    const dtmfDigits = fake
      .clientEvents('conversation.item.create')
      .flatMap((e) => (e.item as { content?: Array<{ type?: string; text?: string }> }).content ?? [])
      .map((part) => (part.type === 'input_text' ? (digitsOfKeypadMessage(part.text ?? '') ?? '') : ''))
      .join('');
    const problems = replayMismatches(fixture.header.expect, {
      result,
      intents: summary?.intents,
      agents: summary?.agentChanges,
      dtmfDigits,
      bargeIns: summary?.bargeIns,
      truncations: fake.clientEvents('conversation.item.truncate').length,
      reroutes: summary?.reroutes,
      inbound: fixture.lines,
      appendedMs: fake.clientEvents('input_audio_buffer.append').reduce((ms, e) => ms + Buffer.from(String(e.audio), 'base64').length / 48, 0),
    });
    if (problems.length > 0) {
      console.error(`\nthe call did not go as its recording expects:\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    await bot.close();
    await fake.close();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
