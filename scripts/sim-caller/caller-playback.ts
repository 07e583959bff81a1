/**
 * Twilio's playback queue as the caller hears it, on the call's clock: bot audio plays in order at 8 μ-law bytes
 * per ms, a `mark` comes back once the audio queued before it has played, and `clear` drops what is still queued and
 * returns every pending mark at once. Pure bookkeeping over explicit times, so it is tested without timers.
 */

import { MULAW_BYTES_PER_MS as PLAYBACK_BYTES_PER_MS } from '../../src/audio/constants.js';

/** A stretch of bot audio as the caller hears it, in call time; `bytes` is only what actually played. */
export interface PlayedSegment {
  readonly startMs: number;
  endMs: number;
  bytes: Uint8Array;
}

/** A mark the server sent and when it is (or was) echoed. */
export interface MarkRecord {
  readonly name: string;
  /** Call time the mark arrived from the server. */
  readonly receivedAtMs: number;
  /** Call time the audio before it finishes playing. */
  dueAtMs: number;
  /** Call time it was echoed back, once echoed. */
  echoedAtMs: number | undefined;
  /** True when a `clear` echoed it before its audio played. */
  flushed: boolean;
}

/** The caller's playback queue. */
export class CallerPlayback {
  readonly segments: PlayedSegment[] = [];
  readonly marks: MarkRecord[] = [];
  #queueEndMs = 0;
  #receivedBytes = 0;

  /** Bytes of bot audio received so far, played or not. */
  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  /** Call time when everything queued so far will have played. */
  get queueEndMs(): number {
    return this.#queueEndMs;
  }

  /** Queues audio that arrived at `nowMs`. */
  pushAudio(bytes: Uint8Array, nowMs: number): void {
    if (bytes.length === 0) return;
    this.#receivedBytes += bytes.length;
    const startMs = Math.max(nowMs, this.#queueEndMs);
    const endMs = startMs + bytes.length / PLAYBACK_BYTES_PER_MS;
    this.segments.push({ startMs, endMs, bytes });
    this.#queueEndMs = endMs;
  }

  /** Queues a mark that arrived at `nowMs`; it is due when the audio before it has played. */
  pushMark(name: string, nowMs: number): MarkRecord {
    const mark: MarkRecord = { name, receivedAtMs: nowMs, dueAtMs: Math.max(nowMs, this.#queueEndMs), echoedAtMs: undefined, flushed: false };
    this.marks.push(mark);
    return mark;
  }

  /** Marks due by `nowMs` and not yet echoed, oldest first; they are recorded as echoed at their due time. */
  takeDueMarks(nowMs: number): MarkRecord[] {
    const due = this.marks.filter((mark) => mark.echoedAtMs === undefined && mark.dueAtMs <= nowMs);
    for (const mark of due) mark.echoedAtMs = Math.max(mark.dueAtMs, mark.receivedAtMs);
    return due;
  }

  /** Call time of the next mark echo, if any is pending. */
  nextDueMs(): number | undefined {
    const pending = this.marks.filter((mark) => mark.echoedAtMs === undefined).map((mark) => mark.dueAtMs);
    return pending.length === 0 ? undefined : Math.min(...pending);
  }

  /**
   * Drops all audio not yet played at `nowMs` and returns the pending marks, oldest first, now echoed. Returns the
   * milliseconds of audio flushed too.
   */
  clear(nowMs: number): { flushedMarks: MarkRecord[]; flushedMs: number } {
    let flushedMs = 0;
    for (let i = this.segments.length - 1; i >= 0; i -= 1) {
      const segment = this.segments[i]!;
      if (segment.endMs <= nowMs) break;
      const keepMs = Math.max(0, nowMs - segment.startMs);
      flushedMs += segment.endMs - segment.startMs - keepMs;
      if (keepMs === 0) {
        this.segments.splice(i, 1);
      } else {
        segment.bytes = segment.bytes.subarray(0, Math.round(keepMs * PLAYBACK_BYTES_PER_MS));
        segment.endMs = nowMs;
      }
    }
    this.#queueEndMs = Math.min(this.#queueEndMs, nowMs);
    const flushedMarks = this.marks.filter((mark) => mark.echoedAtMs === undefined);
    for (const mark of flushedMarks) {
      mark.echoedAtMs = nowMs;
      mark.flushed = mark.dueAtMs > nowMs;
    }
    return { flushedMarks, flushedMs };
  }

  /** Stretches of continuous bot speech as heard (adjacent segments merged), in call time. */
  speechStretches(): { startMs: number; endMs: number }[] {
    const out: { startMs: number; endMs: number }[] = [];
    for (const segment of this.segments) {
      const last = out.at(-1);
      // Gaps under one 20 ms frame are the server's chunking, not a pause.
      if (last !== undefined && segment.startMs - last.endMs < 20) last.endMs = segment.endMs;
      else out.push({ startMs: segment.startMs, endMs: segment.endMs });
    }
    return out;
  }

  /** The bot's side as heard, as one μ-law track from call time 0 to `untilMs` (silence where it was quiet). */
  renderMuLaw(untilMs: number): Uint8Array {
    const out = new Uint8Array(Math.ceil(untilMs * PLAYBACK_BYTES_PER_MS)).fill(0xff);
    for (const segment of this.segments) {
      const offset = Math.round(segment.startMs * PLAYBACK_BYTES_PER_MS);
      if (offset >= out.length) break;
      out.set(segment.bytes.subarray(0, out.length - offset), offset);
    }
    return out;
  }
}
