/**
 * A scripted carrier for service tests: it "queues" whatever audio the test delivers, reports played positions the
 * test sets (as mark echoes would), and records every `clear()`.
 */
import type { PlaybackControl, PlaybackItemState } from '../../src/service/playback.js';

const SAMPLES_PER_MS = 24;

interface Entry {
  itemId: string;
  generatedMs: number;
  playedMs: number;
}

/** Implements `PlaybackControl` from explicit test input. */
export class FakePlayback implements PlaybackControl {
  readonly clears: PlaybackItemState[][] = [];
  private entries: Entry[] = [];

  /** The carrier received audio for an item. */
  deliver(itemId: string, pcm: Int16Array): void {
    const entry = this.entries.find((e) => e.itemId === itemId);
    if (entry) entry.generatedMs += pcm.length / SAMPLES_PER_MS;
    else this.entries.push({ itemId, generatedMs: pcm.length / SAMPLES_PER_MS, playedMs: 0 });
  }

  /** The carrier confirmed an item played up to `ms` (never past what it received). */
  setPlayed(itemId: string, ms: number): void {
    const entry = this.entries.find((e) => e.itemId === itemId);
    if (entry) entry.playedMs = Math.min(ms, entry.generatedMs);
  }

  /** Milliseconds received for an item. */
  generatedMs(itemId: string): number {
    return this.entries.find((e) => e.itemId === itemId)?.generatedMs ?? 0;
  }

  isAudible(): boolean {
    return this.entries.some((e) => e.playedMs < e.generatedMs);
  }

  pending(): PlaybackItemState[] {
    return this.entries.filter((e) => e.playedMs < e.generatedMs).map((e) => ({ ...e }));
  }

  /** The position the test set is what the carrier confirmed. */
  confirmedPlayedMs(itemId: string): number {
    return this.entries.find((e) => e.itemId === itemId)?.playedMs ?? 0;
  }

  clear(): PlaybackItemState[] {
    const states = this.pending();
    this.clears.push(states);
    for (const e of this.entries) e.generatedMs = e.playedMs;
    return states;
  }
}
