/**
 * Development-time generator of the committed call fixtures in `test/fixtures/calls/`. The caller's speech is made
 * with espeak-ng and turned into trimmed, band-limited 8 kHz μ-law with sox; tests only read the committed result and
 * never need these tools. Run: `apt-get install -y espeak-ng sox && npx tsx scripts/make-fixtures.ts [outDir] [name...]`
 * (names limit the run to those fixtures, so regenerating one does not rewrite the others).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFixture } from '../src/fixtures/call-fixture.js';
import { placeholderPhoneNumber, placeholderSid } from '../src/fixtures/redact-message.js';
import { buildSyntheticCall, burstyArrival, type CallStep, type SyntheticCallSpec } from '../src/fixtures/synthetic-call.js';

const outDir = path.resolve(process.argv[2] ?? 'test/fixtures/calls');
const only = new Set(process.argv.slice(3));
const work = mkdtempSync(path.join(tmpdir(), 'make-fixtures-'));

/** Speaks `text` with espeak-ng and returns raw 8 kHz μ-law, trimmed and limited to the telephone band. */
function speak(text: string, voice = 'en-us', wordsPerMinute = 165): Uint8Array {
  const wav = path.join(work, 'speech.wav');
  // Punctuation makes espeak pause up to ~450 ms mid-utterance, long enough for an energy VAD to split one turn in
  // two; the header keeps the punctuated transcript.
  execFileSync('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '-w', wav, text.replace(/[.,!?;:]+/g, ' ')]);
  const raw = execFileSync('sox', [
    // -D: no dither (sox dithers with random noise by default), so regenerating gives byte-identical fixtures.
    '-D',
    wav,
    '-t', 'raw', '-r', '8000', '-c', '1', '-e', 'mu-law', '-b', '8', '-',
    // Trim leading and trailing silence so utterance times in the header are the speech itself.
    'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse',
    'highpass', '300', 'lowpass', '3400', 'norm', '-3',
  ]);
  return new Uint8Array(raw);
}

const say = (transcript: string, voice?: string): CallStep => ({ kind: 'speech', transcript, audio: speak(transcript, voice) });
const silence = (ms: number): CallStep => ({ kind: 'silence', ms });
/** Callers wait for the bot's greeting before they speak, as real callers do: a barge-in must be deliberate. */
const LEAD_IN_MS = 3000;
const dtmf = (digits: string, gapMs: number): CallStep[] => [...digits].flatMap((digit) => [{ kind: 'dtmf', digit } as const, silence(gapMs)]);

/** Identity shared by the generated calls: redacted placeholders, exactly what the recorder would write. */
function identity(n: number): Pick<SyntheticCallSpec, 'accountSid' | 'callSid' | 'streamSid' | 'customParameters'> {
  return {
    accountSid: placeholderSid('AC', 1),
    callSid: placeholderSid('CA', n),
    streamSid: placeholderSid('MZ', n),
    customParameters: { from: placeholderPhoneNumber(1), to: placeholderPhoneNumber(2) },
  };
}

const calls: SyntheticCallSpec[] = [
  {
    name: 'intent-change-billing-then-cancel',
    description: 'Internet-provider caller: small talk, then a double charge on the bill, then asks to cancel the service.',
    expect: { intents: ['bill_explanation', 'cancel_service'], agents: ['billing', 'retention'], barge_in: false, dtmf_digits: '', ended_by: 'caller' },
    firstTimestampMs: 52,
    ...identity(1),
    steps: [
      silence(LEAD_IN_MS),
      say('Hello! Hi, how are you doing today?'),
      silence(3500),
      say('I have a question about my bill. I was charged twice this month.'),
      silence(4500),
      say('Actually, I want to cancel my internet service.'),
      silence(3000),
    ],
  },
  {
    name: 'barge-in-during-reply',
    description: 'Caller reports dropping internet, then talks over the bot while it is still answering.',
    expect: { barge_in: true, dtmf_digits: '', ended_by: 'caller' },
    firstTimestampMs: 155,
    ...identity(2),
    steps: [
      silence(LEAD_IN_MS),
      say('Hi, my internet keeps dropping every evening. Can you help me?'),
      // Long enough for the bot to start answering, short enough that it is still talking.
      silence(1600),
      say('Sorry, wait. I already restarted the router twice.'),
      silence(4000),
    ],
  },
  {
    name: 'dtmf-account-number',
    description: 'Caller asks for the account balance and types the account PIN on the keypad.',
    expect: { dtmf_digits: '4821#', barge_in: false, ended_by: 'caller' },
    firstTimestampMs: 52,
    ...identity(3),
    steps: [
      silence(LEAD_IN_MS),
      say('I would like to check my account balance.'),
      silence(3000),
      ...dtmf('4821#', 350),
      silence(2500),
      say('Thank you, goodbye.'),
      silence(1200),
    ],
  },
  {
    name: 'hangup-mid-sentence',
    description: 'Caller asks about the bill, then hangs up in the middle of the second sentence.',
    expect: { hangup_mid_utterance: true, ended_by: 'caller' },
    firstTimestampMs: 155,
    ...identity(4),
    steps: [
      silence(LEAD_IN_MS),
      say('Hello, I am calling about my bill.'),
      silence(3000),
      {
        kind: 'hangup',
        transcript: 'I think there is a mistake on my last invoice because the amount is much higher than usual.',
        audio: speak('I think there is a mistake on my last invoice because the amount is much higher than usual.'),
        afterMs: 2200,
      },
    ],
  },
  {
    name: 'long-silence',
    description: 'Caller asks about faster plans, then stays silent for sixteen seconds before asking if anyone is there.',
    expect: { min_silence_ms: 15000, ended_by: 'caller' },
    firstTimestampMs: 52,
    ...identity(5),
    steps: [
      silence(LEAD_IN_MS),
      say('Hi, can you tell me about your faster internet plans?'),
      silence(16000),
      say('Hello? Are you still there?'),
      silence(2500),
    ],
  },
  {
    name: 'late-bursty-frames',
    description: 'Billing question over a poor network: frames arrive late and in bursts while media timestamps stay regular.',
    expect: { intents: ['bill_explanation'], agents: ['billing'], late_frames: true, ended_by: 'caller' },
    firstTimestampMs: 155,
    ...identity(6),
    arrival: burstyArrival(20240607, 35),
    steps: [
      silence(LEAD_IN_MS),
      say('Hi, I am calling about my internet bill.'),
      silence(3000),
      say('I was charged twice this month.'),
      silence(3000),
    ],
  },
  {
    name: 'same-turn-billing-switch',
    description: 'The first thing the caller says is a billing problem: the billing agent, not the front desk, must answer that turn.',
    expect: { intents: ['bill_explanation'], agents: ['billing'], reroutes: 1, barge_in: false, dtmf_digits: '', ended_by: 'caller' },
    firstTimestampMs: 52,
    ...identity(7),
    // Production timing: the transcript (and so the switch) lands 500 ms after the turn, before the reply's first
    // audio at 900 ms, so the front desk's reply is replaced before the caller hears any of it.
    modelTiming: { transcript_ms: 500, first_audio_ms: 900 },
    steps: [
      silence(LEAD_IN_MS),
      say('Hi, I have a question about my bill. I was charged twice this month.'),
      silence(4500),
      say('Okay, thank you.'),
      silence(3000),
    ],
  },
  {
    name: 'barge-in-before-first-audio',
    description: 'The caller pauses, the model starts a reply, and the caller goes on talking before any of it is audible.',
    expect: { barge_in: true, truncated: false, dtmf_digits: '', ended_by: 'caller' },
    firstTimestampMs: 155,
    ...identity(8),
    // The turn ends 500 ms into the pause and the reply is created; its first audio would come 1100 ms later, but
    // the caller speaks again 300 ms after the turn ended.
    modelTiming: { transcript_ms: 600, first_audio_ms: 1100 },
    steps: [
      silence(LEAD_IN_MS),
      say('My internet is down since this morning.'),
      silence(800),
      say('Actually it is the TV box, not the internet.'),
      silence(4000),
    ],
  },
  {
    name: 'dtmf-before-session-open',
    description: 'The caller presses keys while the Realtime session is still opening; every key must reach the model, in order.',
    expect: { dtmf_digits: '12', barge_in: false, ended_by: 'caller' },
    firstTimestampMs: 52,
    ...identity(9),
    // The Realtime handshake takes 2.5 s: both keys are pressed before the session is open.
    modelTiming: { connect_ms: 2500, transcript_ms: 400, first_audio_ms: 800 },
    steps: [silence(300), ...dtmf('12', 400), silence(6000), say('Hello? Did you get my keys?'), silence(3500)],
  },
];

try {
  mkdirSync(outDir, { recursive: true });
  let total = 0;
  for (const spec of calls) {
    if (only.size > 0 && !only.has(spec.name)) continue;
    const file = path.join(outDir, `${spec.name}.jsonl`);
    await writeFixture(file, buildSyntheticCall(spec));
    const size = statSync(file).size;
    total += size;
    console.log(`${path.relative(process.cwd(), file)}  ${(size / 1024).toFixed(0)} KiB`);
  }
  console.log(`total ${(total / 1024).toFixed(0)} KiB`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
