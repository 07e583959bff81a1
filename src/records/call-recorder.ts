/**
 * Writes one call's record as the call goes: timeline events become entries (a turn keeps one entry, overwritten
 * as it completes), buffered and flushed once a second by the process's `RecordFlusher` (all live calls in one
 * tick, a few transactions) and by the recorder itself at teardown, so a crash or SIGTERM loses at most the last
 * second. Store failures are logged and never reach the call. Per event work is a map write; nothing per frame.
 */
import { toError } from '../errors.js';
import { addUsage, EMPTY_USAGE, type RealtimeUsage } from '../infrastructure/openai-realtime/realtime-usage.js';
import type { Logger } from '../logger.js';
import type { ActionRecord } from '../actions/action-log.js';
import type { MediaTransportStats } from '../telephony/media-transport.js';
import type { TimelineEvent } from '../telemetry/timeline-events.js';
import type { CallTotals, EntryKind, RecordEntry, StreamStats } from './call-record.js';
import type { CallRecordStore, EntriesWrite } from './call-record-store.js';
import { estimateCostUsd, type RealtimePrices } from './price-table.js';
import type { FlushedRecorder, RecordFlusher } from './record-flusher.js';

/** What one recorder needs. */
export interface CallRecorderOptions {
  readonly callSid: string;
  readonly store: CallRecordStore;
  readonly initialAgent: string;
  readonly storeTranscripts: boolean;
  readonly prices: RealtimePrices | undefined;
  /** Flushes the recorder's buffer each tick until `finish` (the recorder registers itself). */
  readonly flusher: RecordFlusher;
  readonly logger: Logger;
  /** The call's transport counters, read at flushes and at the end. */
  readonly stats: () => MediaTransportStats;
  /** Actions so far (a copy). */
  readonly actions: () => readonly ActionRecord[];
}

/** One call's record writer. */
export class CallRecorder implements FlushedRecorder {
  readonly #options: CallRecorderOptions;
  readonly #pending = new Map<string, RecordEntry>();
  readonly #turnSeq = new Map<string, number>();
  readonly #agents: string[];
  #seq = 0;
  #finalAgent: string;
  #usage: RealtimeUsage = EMPTY_USAGE;
  #responses = 0;
  #marks = { echoed: 0, stale: 0, count: 0, sumMs: 0, maxMs: 0 };
  #actionsWritten = 0;
  #writes: Promise<void> = Promise.resolve();
  #finished = false;
  #failures = 0;

  constructor(options: CallRecorderOptions) {
    this.#options = options;
    this.#agents = [options.initialAgent];
    this.#finalAgent = options.initialAgent;
    options.flusher.add(this);
  }

  /** Records one timeline event (buffered until the next flush). */
  onTimeline(event: TimelineEvent): void {
    if (this.#finished) return;
    switch (event.type) {
      case 'caller_turn':
      case 'bot_turn': {
        const { turn } = event;
        const data = { ...turn, text: this.#options.storeTranscripts ? (turn.text ?? null) : null };
        this.#putTurn(turn.itemId, turn.startMs ?? turn.endMs ?? 0, data);
        return;
      }
      case 'first_audio':
        return this.#add('first_audio', event.atMs, { latencyMs: event.latencyMs });
      case 'turn_latency':
        return;
      case 'barge_in':
        return this.#add('barge_in', event.atMs, { itemId: event.itemId ?? null, heardMs: event.heardMs ?? null, cancelledResponse: event.cancelledResponse });
      case 'agent_switch':
        this.#finalAgent = event.to;
        if (!this.#agents.includes(event.to)) this.#agents.push(event.to);
        return this.#add('agent_switch', event.atMs, { from: event.from, to: event.to, intent: event.intent ?? null, confidence: event.confidence ?? null });
      case 'instructions_updated':
        return this.#add('session_update', event.atMs, { agent: event.agent, transcriptToUpdateMs: event.transcriptToUpdateMs ?? null });
      case 'dtmf':
        return this.#add('dtmf', event.atMs, { digit: event.digit ?? null });
      case 'mark_echo':
        this.#marks.echoed += 1;
        if (event.stale) this.#marks.stale += 1;
        if (event.roundTripMs !== undefined) {
          this.#marks.count += 1;
          this.#marks.sumMs += event.roundTripMs;
          this.#marks.maxMs = Math.max(this.#marks.maxMs, event.roundTripMs);
        }
        return;
      case 'realtime_error':
        return this.#add('realtime_error', event.atMs, { code: event.code ?? null, message: event.message, recoverable: event.recoverable });
      case 'usage':
        this.#usage = addUsage(this.#usage, event.usage);
        this.#responses += 1;
        return this.#add('usage', event.atMs, { responseId: event.responseId, ...event.usage });
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  /** Running totals now. */
  totals(extra: Partial<Pick<CallTotals, 'outcome' | 'durationMs' | 'realtimeReconnects' | 'realtimeRollovers'>> = {}): CallTotals {
    const prices = this.#options.prices;
    return {
      finalAgent: this.#finalAgent,
      agents: [...this.#agents],
      responses: this.#responses,
      usage: this.#usage,
      estimatedCostUsd: prices ? estimateCostUsd(this.#usage, prices) : null,
      stream: this.#streamStats(),
      ...extra,
    };
  }

  /**
   * Writes what is buffered now, alone (teardown; tests); resolves when written (or failed and logged). Mid-call the
   * flusher's tick does this for every call at once (`takeBuffered`).
   */
  flush(extra: Partial<Pick<CallTotals, 'outcome' | 'durationMs' | 'realtimeReconnects' | 'realtimeRollovers'>> = {}, actions?: readonly ActionRecord[]): Promise<void> {
    this.#takeActions(actions ?? this.#options.actions());
    if (this.#pending.size === 0 && !this.#finished) return this.#writes;
    const write = this.#takePending(extra);
    this.#writes = this.#writes.then(() => this.#writeAlone(write));
    return this.#writes;
  }

  /** The buffered entries with the running totals, taken (undefined when nothing is buffered or the call ended). */
  takeBuffered(): EntriesWrite | undefined {
    if (this.#finished) return undefined;
    this.#takeActions(this.#options.actions());
    return this.#pending.size === 0 ? undefined : this.#takePending({});
  }

  chainBatchWrite(batch: Promise<boolean>, write: EntriesWrite): Promise<void> {
    this.#writes = this.#writes.then(async () => {
      if (!(await batch)) await this.#writeAlone(write);
    });
    return this.#writes;
  }

  /** Leaves the flush tick, writes the rest and finalises the row; idempotent (the second call just waits). */
  finish(end: {
    readonly endedAtMs: number;
    readonly endReason: string;
    readonly outcome?: string | undefined;
    readonly durationMs: number;
    readonly actions?: readonly ActionRecord[] | undefined;
    readonly realtimeReconnects?: number | undefined;
    readonly realtimeRollovers?: number | undefined;
  }): Promise<void> {
    if (this.#finished) return this.#writes;
    this.#finished = true;
    this.#options.flusher.remove(this);
    const extra = { outcome: end.outcome, durationMs: end.durationMs, realtimeReconnects: end.realtimeReconnects, realtimeRollovers: end.realtimeRollovers };
    void this.flush(extra, end.actions);
    const totals = this.totals(extra);
    this.#writes = this.#writes.then(() =>
      this.#write(() => this.#options.store.finishCall(this.#options.callSid, { endedAtMs: end.endedAtMs, endReason: end.endReason, totals })),
    );
    return this.#writes;
  }

  #takePending(extra: Partial<Pick<CallTotals, 'outcome' | 'durationMs' | 'realtimeReconnects' | 'realtimeRollovers'>>): EntriesWrite {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    return { callSid: this.#options.callSid, entries, totals: this.totals(extra) };
  }

  #writeAlone(write: EntriesWrite): Promise<void> {
    return this.#write(() => this.#options.store.writeEntries(write.callSid, write.entries, write.totals));
  }

  async #write(operation: () => Promise<void>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      this.#failures += 1;
      // A database outage must not flood the log: the first failure and every 10th after.
      if (this.#failures === 1 || this.#failures % 10 === 0) {
        this.#options.logger.warn({ err: toError(error), failures: this.#failures }, 'call record write failed');
      }
    }
  }

  #putTurn(itemId: string, atMs: number, data: Record<string, unknown>): void {
    const key = `turn:${itemId}`;
    let seq = this.#turnSeq.get(key);
    if (seq === undefined) {
      seq = this.#nextSeq();
      this.#turnSeq.set(key, seq);
    }
    this.#pending.set(key, { key, seq, kind: 'turn', atMs, data });
  }

  #add(kind: EntryKind, atMs: number, data: Record<string, unknown>): void {
    const seq = this.#nextSeq();
    const key = `e${seq}`;
    this.#pending.set(key, { key, seq, kind, atMs, data });
  }

  #nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  #takeActions(actions: readonly ActionRecord[]): void {
    for (const action of actions.slice(this.#actionsWritten)) {
      // The model's reason is free text and may quote the caller: it goes with the transcripts.
      const data = this.#options.storeTranscripts ? action : { ...action, reason: undefined };
      this.#add('action', action.atMs, { ...data });
    }
    this.#actionsWritten = Math.max(this.#actionsWritten, actions.length);
  }

  #streamStats(): StreamStats {
    const stats = this.#options.stats();
    const marks = this.#marks;
    return {
      inboundFrames: stats.inboundFrames,
      sentMediaMessages: stats.sentMediaMessages,
      silenceFilledMs: Math.round(stats.silenceFilledMs),
      droppedInboundChunks: stats.droppedInboundChunks,
      malformedMessages: stats.malformedMessages,
      marksEchoed: marks.echoed,
      staleMarkEchoes: marks.stale,
      markRoundTripMs: {
        count: marks.count,
        mean: marks.count === 0 ? null : Math.round(marks.sumMs / marks.count),
        max: marks.count === 0 ? null : Math.round(marks.maxMs),
      },
    };
  }
}
