/**
 * Keeps one call's `ConversationContext` up to date from its service events, and writes it to the shared store
 * (keyed by CallSid) at each completed turn: off the media path (the write is not awaited), serialized per call
 * (a slow write is never overtaken by an older snapshot), a failed write logged and never thrown.
 *
 * What counts as heard: a reply interrupted by a barge-in is cut at the truncation point (the caller's confirmed
 * playback); a reply cut by a Realtime drop is cut at the audio handed to the carrier (Twilio stays connected and
 * plays what it was given). Spoken caller turns are ordered at their `speech_stopped` (the commit, before the reply
 * starts), although their transcript arrives hundreds of ms later.
 */
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ServiceEvent } from '../service/service-events.js';
import { boundContext, cutAtHeard, type ConversationContext, type ConversationTurn } from './conversation-context.js';

/** Where contexts are kept between sessions and instances (`SharedCallState`). */
export interface ConversationContextStore {
  saveContext(callSid: string, context: ConversationContext): Promise<void>;
  loadContext(callSid: string): Promise<ConversationContext | undefined>;
  deleteContext(callSid: string): Promise<void>;
}

/** Options of {@link ConversationRecorder}. */
export interface ConversationRecorderOptions {
  readonly callSid: string;
  readonly agent: string;
  readonly logger: Logger;
  /** Milliseconds of audio the Realtime client received for an assistant item (the whole of what was generated). */
  readonly receivedMs: (itemId: string) => number;
  /** Milliseconds of an assistant item handed to the carrier (what the caller hears even if the session drops). */
  readonly deliveredMs: (itemId: string) => number;
  readonly store?: ConversationContextStore | undefined;
  /** A context to continue from (a call resumed on this instance). */
  readonly initial?: ConversationContext | undefined;
}

interface LiveTurn {
  readonly role: 'user' | 'assistant';
  text: string;
  readonly itemId: string | undefined;
  /** Cut (barge-in or drop): later transcript events of the item no longer change it. */
  cut: boolean;
}

/** One call's conversation context; see the file comment. */
export class ConversationRecorder {
  readonly #options: ConversationRecorderOptions;
  readonly #turns: LiveTurn[];
  #agent: string;
  /** Assistant items of the response in flight, when one is. */
  #inFlightItems: string[] | undefined;
  #replyCut: boolean;
  #writes: Promise<void> = Promise.resolve();
  /** Handed over to another instance: this one writes no more (its later snapshots would overwrite the new owner's). */
  #handedOver = false;

  constructor(options: ConversationRecorderOptions) {
    this.#options = options;
    this.#agent = options.initial?.agent ?? options.agent;
    this.#turns = (options.initial?.turns ?? []).map((turn) => ({ role: turn.role, text: turn.text, itemId: undefined, cut: true }));
    this.#replyCut = options.initial?.replyPending ?? false;
  }

  /** The context now: what a new session is told. */
  snapshot(): ConversationContext {
    const turns: ConversationTurn[] = this.#turns.filter((turn) => turn.text.trim() !== '').map(({ role, text }) => ({ role, text }));
    const last = turns.at(-1);
    return boundContext({ agent: this.#agent, turns, replyPending: this.#replyCut || last?.role === 'user' });
  }

  /** True once the context was handed over to another instance (see `handOver`). */
  get handedOver(): boolean {
    return this.#handedOver;
  }

  /** Resolves once every write asked for so far has finished (tests, the drain's move). */
  flushed(): Promise<void> {
    return this.#writes;
  }

  /**
   * The call moves to another instance (a drain's end): the reply in flight is cut at what reached the carrier, the
   * context is written one last time and this recorder writes no more. Resolves when written, or failed and logged.
   */
  handOver(): Promise<void> {
    this.sessionDropped();
    this.#persist();
    this.#handedOver = true;
    return this.#writes;
  }

  /** Continues from a context loaded from the store (a call moved here): its turns come before anything recorded. */
  seed(context: ConversationContext): void {
    this.#turns.unshift(...context.turns.map((turn) => ({ role: turn.role, text: turn.text, itemId: undefined, cut: true })));
    this.#agent = context.agent;
    this.#replyCut = context.replyPending;
  }

  /** A keypad turn (the notice the model receives as a user message). */
  userText(text: string): void {
    this.#turns.push({ role: 'user', text, itemId: undefined, cut: false });
    this.#persist();
  }

  /**
   * The Realtime session dropped: the reply in flight (if any) is cut at what reached the carrier, and marked as
   * to be answered again by the next session.
   */
  sessionDropped(): void {
    const items = this.#inFlightItems;
    this.#inFlightItems = undefined;
    if (items === undefined) return;
    this.#replyCut = true;
    for (const itemId of items) this.#cut(itemId, this.#options.deliveredMs(itemId));
    this.#persist();
  }

  onServiceEvent(event: ServiceEvent): void {
    switch (event.type) {
      case 'speech_stopped':
        // The caller's turn takes its place now, before the reply it gets; the transcript fills it in later.
        if (event.itemId !== undefined && !this.#find(event.itemId)) this.#turns.push({ role: 'user', text: '', itemId: event.itemId, cut: false });
        return;
      case 'transcript':
        return this.#onTranscript(event.role, event.itemId, event.text, event.final);
      case 'response_started':
        this.#inFlightItems = [];
        this.#replyCut = false;
        return;
      case 'response_done':
        this.#inFlightItems = undefined;
        return;
      case 'barge_in':
      case 'reply_rerouted':
        for (const t of event.truncations) this.#cut(t.itemId, t.audioEndMs);
        for (const itemId of event.deletedItemIds) this.#remove(itemId);
        this.#persist();
        return;
      case 'instructions_updated':
        if (event.agent !== undefined) this.#agent = event.agent;
        return;
      default:
        return;
    }
  }

  #onTranscript(role: 'user' | 'assistant', itemId: string, text: string, final: boolean): void {
    const turn = this.#find(itemId);
    if (turn?.cut) return;
    if (turn) turn.text = text;
    else {
      this.#turns.push({ role, text, itemId, cut: false });
      if (role === 'assistant') this.#inFlightItems?.push(itemId);
    }
    if (final) this.#persist();
  }

  #cut(itemId: string, heardMs: number): void {
    const turn = this.#find(itemId);
    if (!turn || turn.role !== 'assistant' || turn.cut) return;
    turn.text = cutAtHeard(turn.text, heardMs, this.#options.receivedMs(itemId));
    turn.cut = true;
  }

  #remove(itemId: string): void {
    const index = this.#turns.findIndex((turn) => turn.itemId === itemId);
    if (index >= 0) this.#turns.splice(index, 1);
  }

  #find(itemId: string): LiveTurn | undefined {
    for (let i = this.#turns.length - 1; i >= 0; i--) if (this.#turns[i]?.itemId === itemId) return this.#turns[i];
    return undefined;
  }

  #persist(): void {
    const store = this.#options.store;
    if (!store || this.#handedOver) return;
    const context = this.snapshot();
    const { callSid, logger } = this.#options;
    this.#writes = this.#writes.then(() =>
      store.saveContext(callSid, context).catch((error: unknown) => logger.warn({ err: toError(error) }, 'conversation context not saved')),
    );
  }
}
