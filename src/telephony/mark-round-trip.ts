/**
 * Mark round trips: how long each mark took from being sent to being echoed. Twilio echoes marks in the order they
 * were sent (FIFO, and a `clear` echoes every pending one), so the oldest outstanding send time belongs to the next
 * echo; no per-mark map is needed. The round trip includes the audio queued ahead of the mark (it is echoed once
 * that has played), so it reads as "how far behind the caller's ear our sends are" plus the network.
 */

/** Send times of outstanding marks, oldest first, in a reusable array (no allocation per mark once warm). */
export class MarkRoundTrip {
  #sentAt: number[] = [];
  #head = 0;

  /** Marks sent and not yet echoed. */
  get outstanding(): number {
    return this.#sentAt.length - this.#head;
  }

  /** Records that a mark was sent at `nowMs`. */
  sent(nowMs: number): void {
    this.#sentAt.push(nowMs);
  }

  /** Pairs an echo at `nowMs` with the oldest outstanding mark; undefined when none is outstanding (a forged echo). */
  echoed(nowMs: number): number | undefined {
    if (this.#head >= this.#sentAt.length) return undefined;
    const sentAt = this.#sentAt[this.#head] as number;
    this.#head += 1;
    if (this.#head === this.#sentAt.length) {
      this.#sentAt.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024) {
      this.#sentAt = this.#sentAt.slice(this.#head);
      this.#head = 0;
    }
    return nowMs - sentAt;
  }
}
