/**
 * The softphone in real Chromium with its fake microphone (a committed espeak-ng recording, looped by Chromium):
 * "Call the bot" speaks the Twilio Media Streams protocol to the server, through the same TwilioMediaTransport and
 * call wiring as a Twilio call, to the offline Realtime fake with production model timing. Asserts the bot's reply
 * audio was played in the page, mark echoes came back, and the transcript shows both sides; measures the delay from
 * the caller's last voiced mic frame to the bot's first audible sample played (mouth to ear over loopback).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceBot } from '../../src/server.js';
import { RealtimeFakeServer, tone } from '../../fakes/realtime-server.js';
import { SCREENSHOT_DIR as OUT, startConsoleInChromium, type Chromium, type ConsoleInChromium } from './chromium.js';

const ADMIN_KEY = 'softphone-test-admin-key-0123456789';
const CALLER_WAV = path.resolve('test/fixtures/audio/softphone-caller.wav');
/** The fake model's timing (production ranges): VAD silence window, transcript and first-audio delays. */
const VAD_HANGOVER_MS = 500;
const FIRST_AUDIO_MS = 900;

let fake: RealtimeFakeServer;
let rig: ConsoleInChromium;
let bot: VoiceBot;
let baseUrl: string;
let browser: Chromium;

beforeAll(async () => {
  const reply = { transcript: 'I can help with your bill.', audio: tone(1_000, 440, 8_000) };
  fake = await RealtimeFakeServer.start({
    script: {
      greeting: { transcript: 'Thanks for calling Northwind Fiber. How can I help?', audio: tone(800, 360, 8_000) },
      turns: [{ userTranscript: 'I have a question about my bill.', reply }],
      fallbackReply: reply,
    },
    realtimeFactor: 0.25,
    transcriptDelayMs: 450,
    firstAudioDelayMs: FIRST_AUDIO_MS,
    vad: { hangoverMs: VAD_HANGOVER_MS },
  });
  rig = await startConsoleInChromium({
    realtimeUrl: fake.url,
    publicBaseUrl: 'https://softphone.example.test',
    authToken: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0',
    adminKey: ADMIN_KEY,
    chromiumArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${CALLER_WAV}`, '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
  });
  ({ bot, baseUrl, browser } = rig);
}, 120_000);

afterAll(async () => {
  await rig?.close();
  await fake?.close();
});

interface Stats {
  callSid?: string;
  framesSent: number;
  botAudioBytes: number;
  audibleSamplesPlayed: number;
  marksEchoed: number;
  mouthToEarMs: number[];
}

describe('softphone in Chromium', () => {
  it('talks to the offline bot over the Twilio protocol: reply audio played, marks echoed, both sides in the transcript', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${baseUrl}/console`);
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#softphone-panel:not([hidden])');
    await page.click('#call-bot');
    await expect.poll(() => page.textContent('#softphone-state'), { timeout: 10_000 }).toBe('in call');
    const stats = (): Promise<Stats> => page.evaluate('window.softphoneStats') as Promise<Stats>;

    // The caller's words (the fake's transcript of the mic audio its VAD found) and the bot's reply, live.
    await page.locator('#transcript li.caller', { hasText: 'question about my bill' }).waitFor({ timeout: 20_000 });
    await page.locator('#transcript li.bot', { hasText: 'help with your bill' }).waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await stats()).mouthToEarMs.length, { timeout: 10_000 }).toBeGreaterThan(0);
    // The reply's audio reached the page and was played (not just received), and the marks behind it came back.
    await expect.poll(async () => (await stats()).audibleSamplesPlayed, { timeout: 10_000 }).toBeGreaterThan(8 * 1_000);
    const final = await stats();
    expect(final.framesSent).toBeGreaterThan(100);
    expect(final.botAudioBytes).toBeGreaterThanOrEqual(8 * 1_000);
    expect(final.marksEchoed).toBeGreaterThan(0);
    expect(fake.clientEvents('input_audio_buffer.append').length).toBeGreaterThan(0);
    // The call went through the call wiring: it is on the live board with the timeline's turns.
    const live = bot.telemetry.live.get(final.callSid ?? '');
    expect(live?.turns.some((t) => t.speaker === 'caller' && t.text === 'I have a question about my bill.')).toBe(true);
    await page.screenshot({ path: path.join(OUT, 'console-softphone.png'), fullPage: true });

    // Mouth to ear: the caller's last voiced frame → the reply's first audible sample played. It includes the
    // fake model's own 500 ms VAD window and 900 ms first-audio delay; the rest is the loopback pipeline.
    const [first] = final.mouthToEarMs;
    console.log(
      `softphone mouth-to-ear over loopback: ${final.mouthToEarMs.join(', ')} ms ` +
        `(of which the fake model's VAD window + first-audio delay: ${VAD_HANGOVER_MS + FIRST_AUDIO_MS} ms)`,
    );
    expect(first).toBeGreaterThan(VAD_HANGOVER_MS + FIRST_AUDIO_MS - 100);

    await page.click('#hang-up');
    await expect.poll(() => bot.telemetry.live.get(final.callSid ?? ''), { timeout: 10_000 }).toBeUndefined();
    const record = await bot.telemetry.records.getCall(final.callSid ?? '');
    expect(record?.endReason).toBeTruthy();
    await page.close();
  }, 90_000);
});
