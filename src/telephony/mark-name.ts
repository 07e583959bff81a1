/**
 * Mark names carry everything needed to interpret their echo: `g<generation>:<itemId>:<endMs>`. The generation
 * tells echoes flushed by a `clear` (Twilio echoes every pending mark on clear) from real playback; `endMs` is the
 * item's position once the audio before the mark has played.
 */

/** A decoded mark name. */
export interface MarkPosition {
  readonly generation: number;
  readonly itemId: string;
  /** Milliseconds of the item's audio played when this mark is echoed; eighths of a ms at most (one 8 kHz byte). */
  readonly endMs: number;
}

/** Encodes a mark name, e.g. `g3:item_abc:1840` (`1840.125` when an item ends mid-millisecond). */
export function formatMarkName(position: MarkPosition): string {
  return `g${position.generation}:${position.itemId}:${position.endMs}`;
}

/** Decodes a mark name made by `formatMarkName`; undefined for anything else. Item ids may contain colons. */
export function parseMarkName(name: string): MarkPosition | undefined {
  if (!name.startsWith('g')) return undefined;
  const first = name.indexOf(':');
  const last = name.lastIndexOf(':');
  if (first < 2 || last <= first + 1 || last === name.length - 1) return undefined;
  const generationText = name.slice(1, first);
  const endText = name.slice(last + 1);
  if (!/^\d+$/.test(generationText) || !/^\d+(\.\d+)?$/.test(endText)) return undefined;
  return { generation: Number(generationText), itemId: name.slice(first + 1, last), endMs: Number(endText) };
}
