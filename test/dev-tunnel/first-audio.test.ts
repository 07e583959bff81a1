import { describe, expect, it } from 'vitest';
import { measureFirstAudio, type FirstAudioTiming } from '../../scripts/first-audio/measure-first-audio.js';

/** Shorter than the real API's (see REALISTIC_REALTIME_TIMING) to keep the test quick; the bounds below scale with it. */
const TIMING: FirstAudioTiming = { realtimeFactor: 1, firstAudioDelayMs: 600, connectDelayMs: 300, streamOpenDelayMs: 200 };

describe('first audio through the dev tunnel on fakes', () => {
  it('logs the webhook → first audio time per call, which the caller confirms, with and without pre-warm', async () => {
    const warm = await measureFirstAudio({ prewarm: true, timing: TIMING });
    const cold = await measureFirstAudio({ prewarm: false, timing: TIMING });
    for (const result of [warm, cold]) {
      expect(result.serverLine).toMatchObject({ msg: 'first audio', level: 30, prewarmed: result.prewarm });
      expect(result.serverLine.callSid).toMatch(/^CA/);
      expect(typeof result.serverLine.msSinceStreamStart).toBe('number');
      // The server hands the audio to Twilio before the caller receives it, and after the caller sent the webhook.
      expect(result.serverMs).toBeLessThanOrEqual(result.callerMs + 2);
      // Through the dev tunnel: the fake number was pointed at the tunnel and put back afterwards.
      expect(result.devOutput.join('\n')).toContain('+15550100123 now rings https://first-audio.ngrok.test/twilio/voice');
      expect(result.devOutput).toContain('restored +15550100123 to POST https://old.example.com/voice');
    }
    // Lower bounds only (timing under load only adds): Twilio's setup and the model's first audio always count;
    // the Realtime connect counts too unless it happened while the phone rang.
    expect(warm.serverMs).toBeGreaterThanOrEqual(TIMING.streamOpenDelayMs + TIMING.firstAudioDelayMs);
    expect(cold.serverMs).toBeGreaterThanOrEqual(TIMING.streamOpenDelayMs + TIMING.connectDelayMs + TIMING.firstAudioDelayMs);
    expect(warm.serverLine.msSinceStreamStart as number).toBeGreaterThanOrEqual(TIMING.firstAudioDelayMs);
    expect(cold.serverLine.msSinceStreamStart as number).toBeGreaterThanOrEqual(TIMING.connectDelayMs + TIMING.firstAudioDelayMs);
  }, 30_000);
});
