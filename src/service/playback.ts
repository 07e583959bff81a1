/**
 * The carrier-agnostic view of "what the caller hears", which the service needs for barge-in. The Twilio transport
 * adapter implements it from mark echoes; a browser or SIP adapter would implement it its own way.
 */

/** Playback state of one assistant output item at the carrier. */
export interface PlaybackItemState {
  /** Realtime conversation item id the audio belongs to. */
  readonly itemId: string;
  /** Milliseconds of this item's audio handed to the carrier so far. */
  readonly generatedMs: number;
  /**
   * Milliseconds the caller has heard: confirmed by the carrier (Twilio mark echoes) plus the time elapsed since
   * the last confirmation while audio was still queued, never more than `generatedMs`.
   */
  readonly playedMs: number;
}

/** Control over the caller-side audio queue. */
export interface PlaybackControl {
  /** True while assistant audio is queued at the carrier and not yet confirmed played. */
  isAudible(): boolean;
  /** Items with audio not yet confirmed fully played, oldest first. */
  pending(): PlaybackItemState[];
  /**
   * Drops everything queued at the carrier at once (Twilio `clear`) and returns the state each pending item had
   * at that instant, oldest first. Echoes of marks flushed by the clear are ignored afterwards.
   */
  clear(): PlaybackItemState[];
  /**
   * Milliseconds of an item the carrier confirmed played (Twilio: mark echoes; no interpolation), kept after the
   * item is fully played or cleared; 0 for an item it never received. Drives the same-turn switch rule.
   */
  confirmedPlayedMs(itemId: string): number;
}

/** Where the service's output audio goes: PCM16 mono at the call's service rate (8 kHz for `pcmu`, 24 kHz for `pcm16`), tagged with its conversation item. */
export interface AudioSink extends PlaybackControl {
  sendAudio(itemId: string, pcm: Int16Array): void;
}
