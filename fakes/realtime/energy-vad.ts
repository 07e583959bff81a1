/**
 * The fake server's voice activity detector: RMS energy over 10 ms frames with a hangover. Positions are counted
 * in appended samples at 24 kHz, exactly like the real server's `audio_start_ms` / `audio_end_ms`.
 */
import { FAKE_SAMPLES_PER_MS } from './script.js';

/** Analysis frame length. */
export const VAD_FRAME_MS = 10;
const FRAME_SAMPLES = VAD_FRAME_MS * FAKE_SAMPLES_PER_MS;

/** Detector settings. */
export interface EnergyVadOptions {
  /** A frame is speech when its RMS exceeds this (PCM16 units; a 8000-amplitude tone has RMS ≈ 5657). */
  readonly thresholdRms: number;
  /** Speech ends after this much continuous silence. */
  readonly hangoverMs: number;
}

/** A transition found in the appended audio; `ms` counts from the first appended sample. */
export type VadTransition = { readonly kind: 'start'; readonly ms: number } | { readonly kind: 'stop'; readonly ms: number };

/** Stateful detector fed with every appended chunk, whatever its size. */
export class EnergyVad {
  private readonly options: EnergyVadOptions;
  private readonly frame = new Int16Array(FRAME_SAMPLES);
  private frameFill = 0;
  private framesSeen = 0;
  private speaking = false;
  private lastSpeechEndSample = 0;
  private silentSamples = 0;

  constructor(options: EnergyVadOptions) {
    this.options = options;
  }

  /** Feeds samples; returns the transitions they complete, in order. */
  push(samples: Int16Array, hangoverMs = this.options.hangoverMs): VadTransition[] {
    const transitions: VadTransition[] = [];
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(FRAME_SAMPLES - this.frameFill, samples.length - offset);
      this.frame.set(samples.subarray(offset, offset + take), this.frameFill);
      this.frameFill += take;
      offset += take;
      if (this.frameFill === FRAME_SAMPLES) {
        this.analyse(transitions, hangoverMs);
        this.frameFill = 0;
      }
    }
    return transitions;
  }

  /** True between a start and its stop. */
  get isSpeaking(): boolean {
    return this.speaking;
  }

  private analyse(transitions: VadTransition[], hangoverMs: number): void {
    const frameStart = this.framesSeen * FRAME_SAMPLES;
    this.framesSeen += 1;
    let sum = 0;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const s = this.frame[i] ?? 0;
      sum += s * s;
    }
    const loud = Math.sqrt(sum / FRAME_SAMPLES) > this.options.thresholdRms;
    if (loud) {
      this.silentSamples = 0;
      this.lastSpeechEndSample = frameStart + FRAME_SAMPLES;
      if (!this.speaking) {
        this.speaking = true;
        transitions.push({ kind: 'start', ms: frameStart / FAKE_SAMPLES_PER_MS });
      }
      return;
    }
    if (!this.speaking) return;
    this.silentSamples += FRAME_SAMPLES;
    if (this.silentSamples >= hangoverMs * FAKE_SAMPLES_PER_MS) {
      this.speaking = false;
      this.silentSamples = 0;
      transitions.push({ kind: 'stop', ms: this.lastSpeechEndSample / FAKE_SAMPLES_PER_MS });
    }
  }
}
