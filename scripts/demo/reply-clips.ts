/**
 * The offline demo's bot voice: one espeak-ng clip per scripted reply, committed under test/fixtures/replies as
 * 8 kHz 16-bit mono WAV (telephone bandwidth, a third of the bytes), read back at the Realtime fake's 24 kHz. `npx tsx scripts/demo/reply-clips.ts --generate` makes
 * them at development time (needs espeak-ng and sox; the caller fixtures use the en-us voice, the bot speaks en-gb
 * with a female variant, so the two are told apart); tests and the demo only read them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Where the clips are. */
export const REPLY_CLIPS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/replies');

/** The bot's voice: different from the caller's (`en-us`). */
const BOT_VOICE = 'en-gb+f3';
const BOT_WORDS_PER_MINUTE = '210';
/** Stored rate and the fake's rate (PCM16 24 kHz). */
const CLIP_RATE_HZ = 8_000;
const FAKE_RATE_HZ = 24_000;

/** Every line the demo's bot speaks (the fake's scripted replies). */
export const DEMO_BOT_LINES: readonly string[] = [
  'Thanks for calling Northwind Fiber. How can I help?',
  "I'm doing well, thank you! What can I do for you today?",
  "I'm sorry about the double charge. I can look at that bill with you.",
  "I'm sorry to hear you'd like to leave. May I ask what's prompting it?",
  'Let me walk you through a few things we can check together.',
  'Okay, I can help with that.',
  'Okay.',
  'Thank you, I got those keys.',
];

/** The clip's file name for a line: a slug plus a short hash, stable across runs. */
export function clipFileName(line: string): string {
  const slug = line.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `${slug}-${createHash('sha256').update(line).digest('hex').slice(0, 8)}.wav`;
}

/** The clip of `line` as PCM16 24 kHz samples, or undefined when none was generated for it. */
export function replyClip(line: string): Int16Array | undefined {
  const file = path.join(REPLY_CLIPS_DIR, clipFileName(line));
  if (!existsSync(file)) return undefined;
  return upsample(pcmOfWav(readFileSync(file)), FAKE_RATE_HZ / CLIP_RATE_HZ);
}

/** Linear interpolation by an integer factor; what it adds above 4 kHz the server's 24→8 kHz downsampler removes. */
function upsample(pcm: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(pcm.length * factor);
  for (let i = 0; i < pcm.length; i += 1) {
    const a = pcm[i] ?? 0;
    const b = pcm[i + 1] ?? a;
    for (let k = 0; k < factor; k += 1) out[i * factor + k] = Math.round(a + ((b - a) * k) / factor);
  }
  return out;
}

/** The samples of a 16-bit mono PCM WAV (walks the RIFF chunks to `data`). */
export function pcmOfWav(wav: Buffer): Int16Array {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'data') {
      const bytes = wav.subarray(offset + 8, offset + 8 + size);
      const copy = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < copy.length; i += 1) copy[i] = bytes.readInt16LE(i * 2);
      return copy;
    }
    offset += 8 + size + (size & 1);
  }
  throw new Error('WAV file without a data chunk');
}

function generate(): void {
  mkdirSync(REPLY_CLIPS_DIR, { recursive: true });
  for (const line of DEMO_BOT_LINES) {
    const raw = path.join(REPLY_CLIPS_DIR, 'espeak.tmp.wav');
    execFileSync('espeak-ng', ['-v', BOT_VOICE, '-s', BOT_WORDS_PER_MINUTE, '-w', raw, line]);
    const out = path.join(REPLY_CLIPS_DIR, clipFileName(line));
    execFileSync('sox', [raw, '-r', String(CLIP_RATE_HZ), '-c', '1', '-b', '16', out, 'norm', '-6']);
    rmSync(raw);
    console.log(`${path.relative(process.cwd(), out)}  ${line}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { values } = parseArgs({ options: { generate: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
    if (values.help || !values.generate) {
      console.log('usage: npx tsx scripts/demo/reply-clips.ts --generate\nWrites the demo bot\'s espeak-ng reply clips to test/fixtures/replies (needs espeak-ng and sox).');
    } else generate();
  } catch (error) {
    console.error(`reply-clips: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
