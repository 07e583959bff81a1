/**
 * What the caller has heard, per assistant output item, from the audio handed to Twilio and the mark echoes that
 * came back. Marks play FIFO, so an echo also confirms every older item. Between echoes the position is
 * interpolated with the clock while audio is queued, never past what was generated.
 */
import type { PlaybackItemState } from '../service/playback.js';
import type { MarkPosition } from './mark-name.js';

interface ItemRecord {
  readonly itemId: string;
  generatedMs: number;
  confirmedMs: number;
}

/** Items whose confirmed position is remembered after they leave the queue (a call's last few replies). */
const CONFIRMED_HISTORY_ITEMS = 32;

/** How an echo was interpreted. */
export type EchoOutcome = 'applied' | 'stale' | 'unknown';

/** Per-call playback accounting; pure bookkeeping, the caller passes the current time. */
export class PlaybackTracker {
  #generation = 0;
  /** Insertion order is playback order: oldest first. */
  readonly #items = new Map<string, ItemRecord>();
  /** Time from which queued audio is assumed to be playing: the last echo, or when audio was queued after idling. */
  #anchorMs = 0;
  /** Confirmed milliseconds per item, kept after pruning and `clear` (bounded, oldest forgotten first). */
  readonly #confirmed = new Map<string, number>();

  /** Current generation; bumped by every `clear`. */
  get generation(): number {
    return this.#generation;
  }

  /** Records `durationMs` of `itemId` handed to Twilio and returns the item's generated total (the mark position). */
  recordSent(itemId: string, durationMs: number, nowMs: number): number {
    if (!this.isAudible()) this.#anchorMs = nowMs;
    let item = this.#items.get(itemId);
    if (!item) {
      item = { itemId, generatedMs: 0, confirmedMs: 0 };
      this.#items.set(itemId, item);
    }
    item.generatedMs += durationMs;
    return item.generatedMs;
  }

  /** Applies a mark echo; echoes from an older generation (flushed by `clear`) are reported stale and ignored. */
  recordEcho(mark: MarkPosition, nowMs: number): EchoOutcome {
    if (mark.generation !== this.#generation) return 'stale';
    const item = this.#items.get(mark.itemId);
    if (!item) return 'unknown';
    for (const older of this.#items.values()) {
      if (older === item) break;
      older.confirmedMs = older.generatedMs;
      this.#remember(older);
    }
    item.confirmedMs = Math.max(item.confirmedMs, Math.min(mark.endMs, item.generatedMs));
    this.#remember(item);
    this.#anchorMs = nowMs;
    this.#prune();
    return 'applied';
  }

  /** Milliseconds of an item confirmed played by mark echoes (0 for an item never sent or never echoed). */
  confirmedMs(itemId: string): number {
    return this.#items.get(itemId)?.confirmedMs ?? this.#confirmed.get(itemId) ?? 0;
  }

  #remember(item: ItemRecord): void {
    this.#confirmed.delete(item.itemId);
    this.#confirmed.set(item.itemId, item.confirmedMs);
    if (this.#confirmed.size > CONFIRMED_HISTORY_ITEMS) {
      const oldest = this.#confirmed.keys().next().value;
      if (oldest !== undefined) this.#confirmed.delete(oldest);
    }
  }

  /** True while audio handed to Twilio is not yet confirmed played. */
  isAudible(): boolean {
    for (const item of this.#items.values()) if (item.confirmedMs < item.generatedMs) return true;
    return false;
  }

  /** Milliseconds handed to Twilio and not yet confirmed played, across items. */
  queuedMs(): number {
    let total = 0;
    for (const item of this.#items.values()) total += item.generatedMs - item.confirmedMs;
    return total;
  }

  /** Items not yet confirmed fully played, oldest first, with the interpolated played position. */
  pending(nowMs: number): PlaybackItemState[] {
    let elapsed = Math.max(0, nowMs - this.#anchorMs);
    const states: PlaybackItemState[] = [];
    for (const item of this.#items.values()) {
      if (item.confirmedMs >= item.generatedMs) continue;
      const playedMs = Math.min(item.generatedMs, item.confirmedMs + elapsed);
      elapsed -= playedMs - item.confirmedMs;
      // Whole milliseconds: the Realtime truncate takes integers, and flooring never points past the audio.
      states.push({ itemId: item.itemId, generatedMs: Math.floor(item.generatedMs), playedMs: Math.floor(playedMs) });
    }
    return states;
  }

  /** Forgets everything queued (Twilio flushed it), bumps the generation and returns the states at `nowMs`. */
  clear(nowMs: number): PlaybackItemState[] {
    const states = this.pending(nowMs);
    this.#generation += 1;
    this.#items.clear();
    return states;
  }

  /** Drops fully played items except the newest, which may still be receiving audio. */
  #prune(): void {
    let remaining = this.#items.size;
    for (const [itemId, item] of this.#items) {
      remaining -= 1;
      if (remaining === 0) break;
      if (item.confirmedMs >= item.generatedMs) this.#items.delete(itemId);
    }
  }
}
