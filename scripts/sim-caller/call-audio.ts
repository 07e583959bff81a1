/**
 * The call's audio as WAV files (8 kHz PCM16, what a telephone carries): the bot's side as the caller heard it, and
 * both sides as a stereo file (left the caller, right the bot) to listen to a whole simulated call.
 */
import { muLawDecode } from '../../src/audio/mulaw.js';
import { writeWav } from '../../src/audio/wav.js';
import type { CallFixture } from '../../src/fixtures/call-fixture.js';
import { MULAW_BYTES_PER_MS as BYTES_PER_MS, TWILIO_SAMPLE_RATE_HZ as SAMPLE_RATE_HZ } from '../../src/audio/constants.js';
import type { CallerPlayback } from './caller-playback.js';

/** The bot's side as heard, from call start to `untilMs`, as a mono WAV file. */
export function botAudioWav(playback: CallerPlayback, untilMs: number): Uint8Array {
  return writeWav({ encoding: 'pcm16', sampleRateHz: SAMPLE_RATE_HZ, channels: 1, samples: muLawDecode(playback.renderMuLaw(untilMs)) });
}

/** The caller's inbound audio placed on its media clock (`media.timestamp`), as one μ-law track. */
export function callerMuLaw(fixture: CallFixture, untilMs: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(untilMs * BYTES_PER_MS)).fill(0xff);
  for (const line of fixture.lines) {
    if (line.dir !== 'in' || line.msg.event !== 'media' || line.msg.media === undefined) continue;
    const offset = Number((line.msg.media as { timestamp?: unknown }).timestamp) * BYTES_PER_MS;
    if (!Number.isFinite(offset) || offset >= out.length) continue;
    const bytes = Buffer.from(line.msg.media.payload, 'base64');
    out.set(bytes.subarray(0, out.length - offset), offset);
  }
  return out;
}

/** Both sides of the call as a stereo WAV file: left the caller (from the fixture), right the bot. */
export function callAudioWav(fixture: CallFixture, playback: CallerPlayback, untilMs: number): Uint8Array {
  const caller = muLawDecode(callerMuLaw(fixture, untilMs));
  const bot = muLawDecode(playback.renderMuLaw(untilMs));
  const frames = Math.min(caller.length, bot.length);
  const samples = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i += 1) {
    samples[2 * i] = caller[i]!;
    samples[2 * i + 1] = bot[i]!;
  }
  return writeWav({ encoding: 'pcm16', sampleRateHz: SAMPLE_RATE_HZ, channels: 2, samples });
}
