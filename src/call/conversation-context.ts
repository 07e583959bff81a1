/**
 * A call's conversation as the caller lived it, as plain data: what a new Realtime session must be told to go on
 * where the dropped one stopped (a reconnect on this instance), and what the shared store keeps for a resume on
 * another instance. Pure functions; the lifecycle is `ConversationRecorder`'s.
 */

/** One turn of the conversation, in the order the caller lived them. */
export interface ConversationTurn {
  readonly role: 'user' | 'assistant';
  /**
   * User: the transcript of a spoken turn or the notice of a keypad turn. Assistant: the transcript of what the
   * caller heard, cut where an interrupted reply stopped being heard.
   */
  readonly text: string;
}

/** What a new session needs to continue the call; JSON-safe (stored as text in `conversation_contexts`). */
export interface ConversationContext {
  /** The catalogue agent the call runs as now. */
  readonly agent: string;
  /** Completed turns, oldest first, at most `MAX_CONTEXT_TURNS` (the oldest are dropped first). */
  readonly turns: readonly ConversationTurn[];
  /**
   * True when nobody answered the caller's last turn yet, or the reply to it was cut by a session drop: a new
   * session must answer it (`response.create`), or the caller waits in silence.
   */
  readonly replyPending: boolean;
}

/**
 * `conversation.item.create` items of the GA protocol (`openai` 7: `RealtimeConversationItemUserMessage` with an
 * `input_text` part, `RealtimeConversationItemAssistantMessage` with an `output_text` part).
 */
export type ReplayItem =
  | { readonly type: 'message'; readonly role: 'user'; readonly content: readonly [{ readonly type: 'input_text'; readonly text: string }] }
  | { readonly type: 'message'; readonly role: 'assistant'; readonly content: readonly [{ readonly type: 'output_text'; readonly text: string }] };

/** Turns kept (and replayed): enough for the thread of a long call, bounded so a replay stays a few kilobytes. */
export const MAX_CONTEXT_TURNS = 40;

/** Each turn's text is capped (a runaway transcript must not make a replay huge). */
export const MAX_TURN_CHARS = 2_000;

/** The items that replay `context` into a new session, oldest first; empty turns are skipped. */
export function replayItems(context: ConversationContext): ReplayItem[] {
  const items: ReplayItem[] = [];
  for (const turn of context.turns) {
    const text = turn.text.trim();
    if (text === '') continue;
    items.push(
      turn.role === 'user'
        ? { type: 'message', role: 'user', content: [{ type: 'input_text', text }] }
        : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] },
    );
  }
  return items;
}

/**
 * The words of `text` the caller heard when `heardMs` of an item's `totalMs` of audio played: the transcript is
 * cut in proportion (the model's transcript streams alongside its audio) at the last whole word. Empty when
 * nothing was heard.
 */
export function cutAtHeard(text: string, heardMs: number, totalMs: number): string {
  if (totalMs <= 0 || heardMs <= 0) return '';
  if (heardMs >= totalMs) return text.trimEnd();
  const end = Math.floor((text.length * heardMs) / totalMs);
  if (end >= text.length) return text.trimEnd();
  // A word cut in the middle was not heard whole: keep the words before it.
  const boundary = /\s/.test(text.charAt(end)) ? end : text.lastIndexOf(' ', end);
  return boundary <= 0 ? '' : text.slice(0, boundary).trimEnd();
}

/** A context with the oldest turns dropped beyond `MAX_CONTEXT_TURNS` and each text capped. */
export function boundContext(context: ConversationContext): ConversationContext {
  const turns = context.turns.slice(-MAX_CONTEXT_TURNS).map((turn) => (turn.text.length > MAX_TURN_CHARS ? { ...turn, text: turn.text.slice(0, MAX_TURN_CHARS) } : turn));
  return { ...context, turns };
}

/**
 * Parses a stored context (the JSON `SharedCallState.saveContext` wrote); undefined for anything else, so a
 * corrupt row resumes a call without context instead of failing it.
 */
export function parseConversationContext(json: string): ConversationContext | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { agent, turns, replyPending } = value as Record<string, unknown>;
  if (typeof agent !== 'string' || typeof replyPending !== 'boolean' || !Array.isArray(turns)) return undefined;
  const parsed: ConversationTurn[] = [];
  for (const turn of turns) {
    const { role, text } = (turn ?? {}) as Record<string, unknown>;
    if ((role !== 'user' && role !== 'assistant') || typeof text !== 'string') return undefined;
    parsed.push({ role, text });
  }
  return { agent, turns: parsed, replyPending };
}
