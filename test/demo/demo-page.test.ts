import { describe, expect, it } from 'vitest';
import { demoCallPage } from '../../scripts/demo/demo-page.js';
import { replyClip, DEMO_BOT_LINES } from '../../scripts/demo/reply-clips.js';
import { writeWav } from '../../src/audio/wav.js';
import type { CallRecord } from '../../src/records/call-record.js';

function stereo(ms: number): Uint8Array {
  const samples = new Int16Array(ms * 8 * 2);
  // Caller (left) speaks in the first half, the bot (right) in the second.
  for (let i = 0; i < ms * 8; i += 1) samples[i * 2 + (i < ms * 4 ? 0 : 1)] = Math.round(12_000 * Math.sin(i / 3));
  return writeWav({ encoding: 'pcm16', sampleRateHz: 8000, channels: 2, samples });
}

const record = {
  callSid: 'CA1',
  endReason: 'twilio_stop',
  firstAudioMs: 640,
  turns: [
    { speaker: 'caller', itemId: 'i1', startMs: 100, endMs: 900, text: 'I was charged <twice>' },
    { speaker: 'bot', itemId: 'i2', agent: 'billing', startMs: 1_200, interrupted: true, heardMs: 400, latencyMs: 830, text: 'Sorry about that' },
  ],
  agentSwitches: [{ atMs: 1_000, from: 'front_desk', to: 'billing', intent: 'bill_explanation', confidence: 0.73 }],
  bargeIns: [{ atMs: 1_600, itemId: 'i2', heardMs: 400, cancelledResponse: false }],
} as unknown as CallRecord;

describe('demo call page', () => {
  it('is self-contained and shows both channels, the switch with intent and confidence, turns and latencies', () => {
    const html = demoCallPage({ record, stereoWav: stereo(2_000), title: 'Demo call' });
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(html).toContain('left channel is the caller');
    expect(html).toContain('front_desk → <b>billing</b>, intent bill_explanation (confidence 0.73)');
    expect(html).toContain('I was charged &#60;twice&#62;');
    expect(html).toContain('830 ms');
    expect(html).toContain('cut after 400 ms heard');
    // Two lanes of peaks: the caller's loud first half, the bot's loud second half.
    const lanes = [...html.matchAll(/<path d="([^"]+)" stroke="(#[0-9a-f]+)"/g)];
    expect(lanes).toHaveLength(2);
    const tall = (d: string): number[] => [...d.matchAll(/M(\d+) ([\d.]+)V([\d.]+)/g)].filter((m) => Number(m[3]) - Number(m[2]) > 20).map((m) => Number(m[1]));
    const caller = tall(lanes[0]?.[1] ?? '');
    const bot = tall(lanes[1]?.[1] ?? '');
    expect(Math.max(...caller)).toBeLessThan(610);
    expect(Math.min(...bot)).toBeGreaterThan(590);
  });

  it('has a committed espeak-ng clip for every line the demo bot speaks, at the fake\'s 24 kHz', () => {
    for (const line of DEMO_BOT_LINES) {
      const clip = replyClip(line);
      expect(clip, line).toBeDefined();
      const seconds = (clip?.length ?? 0) / 24_000;
      expect(seconds).toBeGreaterThan(0.3);
      expect(seconds).toBeLessThan(5);
      expect(Math.max(...(clip ?? []).map(Math.abs))).toBeGreaterThan(5_000);
    }
  });
});
