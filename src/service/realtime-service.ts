/**
 * The seed's `RealtimeService`: one call's voice agent, carrier-agnostic (PCM, transcripts and control events in
 * and out, never carrier JSON). `process()` forwards caller PCM to the Realtime session and streams the model's PCM
 * back; each final caller transcript starts the orchestrator without awaiting it; the orchestrator's completion
 * callback applies `instruction_update` to the live session.
 *
 * Where this improves on the seed:
 * - The seed's `update_instructions` reconnects the session (losing the conversation and cutting the audio being
 *   played); here it is one `session.update` on the live session, formats, VAD and voice unchanged.
 * - The seed calls the orchestrator per audio chunk; here it runs once per final transcript, off the audio path.
 * - Barge-in is decided here from the carrier's confirmed playback position (`PlaybackControl`), never from the
 *   SDK's wall-clock guess, and no truncate can exceed the audio the server generated. It covers replies in flight
 *   that the caller cannot hear yet (before their first audio, or between chunks of a reply generated slower than
 *   real time): speech while a response is in flight or audio is queued cancels it; only an idle bot lets speech be.
 * - An agent switch decided on the turn the current reply answers re-routes that reply when the caller has heard
 *   none of it (`same-turn-switch.ts`): the specialist answers the turn that revealed the intent.
 *
 * What stays in the conversation of a cancelled reply: after a barge-in, an item with audio is truncated where the
 * caller stopped hearing it (the server then drops the transcript of the rest) and an item with no audio yet is
 * deleted (`conversation.item.delete`) once its response is done, because the protocol cannot truncate an item
 * with no audio. A re-routed reply is deleted whole, audio or not: it must leave neither a half-spoken preamble nor
 * an empty assistant turn between the caller's words and the specialist's answer.
 */
import type { AbstractOrchestrator, OrchestratorResult } from '../domain/orchestrator.js';
import { toError, VoiceBotError } from '../errors.js';
import type { RealtimeClientEvent, RealtimeClientLike, SendResult } from '../infrastructure/realtime-client-events.js';
import { DEFAULT_REALTIME_AUDIO_FORMAT, serviceSamplesPerMs, type RealtimeAudioFormatName } from '../audio/audio-format.js';
import type { RealtimeUsage } from '../infrastructure/openai-realtime/realtime-usage.js';
import { Listeners } from '../listeners.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../telephony/clock.js';
import { AudioOutputQueue } from './audio-output-queue.js';
import { planTruncations } from './barge-in.js';
import type { PlaybackControl } from './playback.js';
import { DEFAULT_SAME_TURN_SWITCH, decideSameTurnSwitch, type LatestReply } from './same-turn-switch.js';
import type { ServiceConfig } from './service-config.js';
import type { ServiceAudioChunk, ServiceEvent, ServiceListener, Truncation } from './service-events.js';

/** Dependencies of one service; the client comes from `createRealtimeClient` (or a fake in tests). */
export interface RealtimeServiceOptions {
  readonly client: RealtimeClientLike;
  /** What the caller hears, from the carrier adapter; drives barge-in. */
  readonly playback: PlaybackControl;
  /** The call's child logger. */
  readonly logger: Logger;
  /** Stamps events; only `now()` is read. Defaults to `systemClock`. */
  readonly clock?: Pick<Clock, 'now'> | undefined;
  /** Twilio CallSid (the orchestrator's thread id). */
  readonly callSid: string;
  /**
   * The Realtime wire audio format the client was built with (`config.openai.realtimeAudioFormat`): sets the PCM rate
   * of the call's audio (8 kHz `pcmu`, 24 kHz `pcm16`). Default `pcmu`, as the client's.
   */
  readonly audioFormat?: RealtimeAudioFormatName | undefined;
}

/** The empty PCM of an item's end marker. */
const NO_AUDIO = new Int16Array(0);

/**
 * Longest wait for a cancelled reply's `response.done` before a re-route asks for the specialist's reply anyway
 * (the SDK still holds that `response.create` until no response is in flight, so two never overlap).
 */
export const CANCELLED_RESPONSE_WAIT_MS = 5_000;

/** One response of the call, from `response.created` to `response.done`. */
interface ResponseState {
  readonly id: string;
  /** The user item it answers: the last user item added before it was created. */
  readonly turnItemId: string | undefined;
  /** Its assistant items, in arrival order (from `response.output_item.added` or its first audio). */
  readonly items: string[];
  done: boolean;
}

/** One call's Realtime agent; see the file comment. */
export class RealtimeService {
  readonly config: ServiceConfig;
  private readonly orchestrator: AbstractOrchestrator;
  private readonly client: RealtimeClientLike;
  private readonly playback: PlaybackControl;
  private readonly log: Logger;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly callSid: string;
  /** PCM16 samples per millisecond of the call's audio (8 for `pcmu`, 24 for `pcm16`): every ms here derives from it. */
  private readonly samplesPerMs: number;
  private readonly listeners: Listeners<ServiceEvent>;
  private readonly output: AudioOutputQueue;
  /** Responses cancelled (barge-in, re-route): their late deltas and transcripts are dropped until `response.done`. */
  private readonly droppedResponses = new Set<string>();
  /** Items to delete once their response is done (cancelled replies the caller heard nothing of). */
  private readonly deleteWhenDone = new Map<string, string[]>();
  /** Waiters for a response's `response.done`, by response id. */
  private readonly doneWaiters = new Map<string, Array<() => void>>();
  /** The response in flight, if any, and the latest response of the call (in flight or done). */
  private inFlight: ResponseState | undefined;
  private latest: ResponseState | undefined;
  private lastUserItem: string | undefined;
  private callerSpeaking = false;
  /** Counts `speech_started`: a re-route gives up when the caller started a new turn while it waited. */
  private speechStarts = 0;
  /** Samples of each item handed to the carrier (bounded by the items of one call). */
  private readonly deliveredSamples = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private currentInstruction: string;
  private processing = false;
  /** Caller samples the client sent or queued (not those it reported as not delivered). */
  private deliveredInputSamples = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(config: ServiceConfig, orchestrator: AbstractOrchestrator, options: RealtimeServiceOptions) {
    this.config = config;
    this.orchestrator = orchestrator;
    this.playback = options.playback;
    this.log = options.logger;
    this.listeners = new Listeners<ServiceEvent>((err, event) => this.log.error({ err, eventType: event.type }, 'service listener failed'));
    this.clock = options.clock ?? systemClock;
    this.callSid = options.callSid;
    this.samplesPerMs = serviceSamplesPerMs(options.audioFormat ?? DEFAULT_REALTIME_AUDIO_FORMAT);
    this.currentInstruction = config.initialInstruction;
    this.client = options.client;
    this.output = new AudioOutputQueue((chunk) =>
      this.deliveredSamples.set(chunk.itemId, (this.deliveredSamples.get(chunk.itemId) ?? 0) + chunk.pcm.length),
    );
    this.unsubscribe = this.client.on((event) => this.onClientEvent(event));
    this.orchestrator.setCallback((result) => this.onOrchestratorComplete(result));
  }

  /** The instructions the live session runs with now. */
  get instruction(): string {
    return this.currentInstruction;
  }

  /** Opens the Realtime session (do it while the phone rings); throws a readable error on failure. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  /**
   * Forwards every inbound chunk (PCM16 mono at the service rate of the `audioFormat` option) to the session as it arrives and returns the model's audio
   * as it arrives, tagged with its item. Call once per service. The returned iterable ends when the service
   * closes or the session ends; the input ending (caller hung up) does not end it: the call owner calls
   * `close()`. Audio of a barge-in is never yielded after the barge-in.
   */
  process(input: AsyncIterable<Int16Array>): AsyncIterable<ServiceAudioChunk> {
    if (this.processing) throw new VoiceBotError('SERVICE_BUSY', 'RealtimeService.process() may be called once per call');
    this.processing = true;
    void this.pump(input);
    return this.output;
  }

  /**
   * Milliseconds of caller audio handed to the session so far: the model's input clock (`audio_start_ms`,
   * `audio_end_ms` count it). It lags the call's media clock by the caller audio that never reached the model
   * (spoken while the session was still opening).
   */
  get callerAudioDeliveredMs(): number {
    return this.deliveredInputSamples / this.samplesPerMs;
  }

  /**
   * Milliseconds of an assistant item handed to the carrier so far: what the caller hears even if the Realtime
   * session drops now (the carrier plays what it was given). 0 for an unknown item.
   */
  deliveredAudioMs(itemId: string): number {
    return Math.floor((this.deliveredSamples.get(itemId) ?? 0) / this.samplesPerMs);
  }

  /** Makes the bot speak first: `response.create` with the configured greeting as its instructions. */
  greet(): void {
    this.client.createResponse(this.config.greeting !== undefined ? { instructions: this.config.greeting } : {});
  }

  /**
   * A caller turn typed on the keypad (a DTMF notice such as "The caller pressed 1 2"): sent to the model as a user
   * message (which asks for a response) and handed to the orchestrator like a spoken turn. Before the session is
   * open the message is queued and sent when it opens. Resolves true once the model got it, false when it could not
   * be delivered (the session closed or never opened).
   */
  async sendKeypadTurn(text: string): Promise<boolean> {
    if (this.state !== 'open') return false;
    const result: SendResult = this.client.sendRequest(text);
    this.invokeOrchestrator(text, undefined);
    if (result === 'sent') return true;
    if (result === 'not_delivered') return false;
    return this.client.opened();
  }

  /** Seed's `update_instructions`: one `session.update` on the live session; audio keeps playing. */
  async updateInstructions(instructions: string): Promise<void> {
    this.currentInstruction = instructions;
    await this.client.updateInstructions(instructions);
  }

  /** Subscribes to service events; returns the unsubscribe function. */
  on(listener: ServiceListener): () => void {
    return this.listeners.add(listener);
  }

  /** Ends the call's session and output; idempotent. The orchestrator is disposed by whoever created it. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    try {
      await this.client.disconnect();
    } catch (error) {
      this.log.warn({ err: toError(error) }, 'realtime disconnect failed');
    }
    this.finish('closed');
  }

  private async pump(input: AsyncIterable<Int16Array>): Promise<void> {
    try {
      for await (const pcm of input) {
        if (this.state !== 'open') break;
        if (this.client.sendRequest(pcm) !== 'not_delivered') this.deliveredInputSamples += pcm.length;
      }
      this.log.debug('caller audio input ended');
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: false });
    }
  }

  private onClientEvent(event: RealtimeClientEvent): void {
    switch (event.type) {
      case 'audio':
        if (this.droppedResponses.has(event.responseId)) return;
        if (event.responseId === this.inFlight?.id) this.addItem(this.inFlight, event.itemId);
        this.output.push({ itemId: event.itemId, pcm: event.pcm });
        return;
      case 'transcript':
        if (event.role === 'assistant' && this.isDroppedItem(event.itemId)) return;
        this.emit({ type: 'transcript', role: event.role, itemId: event.itemId, text: event.text, final: event.final });
        if (event.role === 'user' && event.final) this.invokeOrchestrator(event.text, event.itemId);
        return;
      case 'speech_started':
        this.callerSpeaking = true;
        this.speechStarts += 1;
        return this.onSpeechStarted(event.itemId, event.audioStartMs);
      case 'speech_stopped':
        this.callerSpeaking = false;
        this.emit({ type: 'speech_stopped', itemId: event.itemId, audioEndMs: event.audioEndMs });
        return;
      case 'user_item':
        this.lastUserItem = event.itemId;
        return;
      case 'output_item':
        if (event.responseId === this.inFlight?.id) this.addItem(this.inFlight, event.itemId);
        return;
      case 'response_started':
        this.inFlight = { id: event.responseId, turnItemId: this.lastUserItem, items: [], done: false };
        this.latest = this.inFlight;
        this.emit({ type: 'response_started', responseId: event.responseId });
        return;
      case 'response_done':
        return this.onResponseDone(event.responseId, event.status, event.usage);
      case 'tool_call':
        this.emit({ type: 'tool_call', name: event.name, callId: event.callId });
        return;
      case 'error':
        this.emit({ type: 'error', error: event.error, recoverable: event.recoverable, code: event.code });
        return;
      case 'closed':
        this.finish(event.reason === 'disconnect' ? 'closed' : event.reason);
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  private addItem(response: ResponseState, itemId: string): void {
    if (!response.items.includes(itemId)) response.items.push(itemId);
  }

  private onResponseDone(responseId: string, status: string, usage: RealtimeUsage | undefined): void {
    // No delta of a response can follow its response.done, so its drop entry is no longer needed.
    const dropped = this.droppedResponses.delete(responseId);
    const response = this.inFlight?.id === responseId ? this.inFlight : undefined;
    if (response) {
      response.done = true;
      if (!dropped) for (const itemId of response.items) this.output.push({ itemId, pcm: NO_AUDIO, itemDone: true });
      this.inFlight = undefined;
    }
    // Deleted before anything waiting on this response (a re-route's response.create) goes out.
    for (const itemId of this.deleteWhenDone.get(responseId) ?? []) this.client.deleteItem(itemId);
    this.deleteWhenDone.delete(responseId);
    this.emit({ type: 'response_done', responseId, status, usage });
    for (const resolve of [...(this.doneWaiters.get(responseId) ?? [])]) resolve();
  }

  /**
   * Barge-in: the caller started speaking while the bot is speaking or about to (a response in flight, audio queued
   * here or at the carrier). Clear the carrier at once, cancel the response in flight, truncate each item where the
   * caller stopped hearing it (never past what was generated), delete the items nobody heard a sample of, and drop
   * whatever of the response is still on its way. An idle bot (nothing in flight, nothing queued) lets speech be.
   */
  private onSpeechStarted(itemId: string | undefined, audioStartMs: number): void {
    const audible = this.playback.isAudible();
    const response = this.inFlight !== undefined && !this.droppedResponses.has(this.inFlight.id) ? this.inFlight : undefined;
    const queuedHere = this.output.buffered > 0;
    this.emit({ type: 'speech_started', itemId, audioStartMs, audible });
    if (!audible && response === undefined && !queuedHere) return;
    const { truncations, deletedItemIds, cancelledResponseId } = this.stopSpeaking(response, (cleared, others) =>
      planTruncations({
        cleared,
        others,
        receivedMs: (id) => this.client.receivedAudioMs(id),
        deliveredMs: (id) => Math.floor((this.deliveredSamples.get(id) ?? 0) / this.samplesPerMs),
      }),
    );
    const cancelled = cancelledResponseId !== undefined;
    this.log.info({ truncations: truncations.length, deleted: deletedItemIds.length, cancelled, audible }, 'barge-in');
    this.emit({ type: 'barge_in', at: this.clock.now(), cancelledResponseId, truncations, deletedItemIds });
  }

  /**
   * Silences the bot: Twilio `clear` (unless `clearCarrier` is false: nothing reached it), purge of audio not yet
   * handed over, `response.cancel` of `response` (when in flight) with its late deltas dropped, then a truncate per
   * item that has audio, at the position `plan` gives (capped at the audio received). Items of `response` that received no audio cannot be truncated: they are
   * deleted once the response is done; with `deleteResponseItems` every item of `response` is.
   */
  private stopSpeaking(
    response: ResponseState | undefined,
    plan: (cleared: ReturnType<PlaybackControl['clear']>, others: string[]) => Truncation[],
    deleteResponseItems = false,
    clearCarrier = true,
  ): { truncations: Truncation[]; deletedItemIds: string[]; cancelledResponseId: string | undefined } {
    const cleared = clearCarrier ? this.playback.clear() : [];
    const unsent = this.output.purge();
    let cancelledResponseId: string | undefined;
    if (response !== undefined && !response.done) {
      this.droppedResponses.add(response.id);
      if (this.client.cancelResponse()) cancelledResponseId = response.id;
    }
    const responseItems = response?.items ?? [];
    const clearedIds = new Set(cleared.map((s) => s.itemId));
    const others = [...unsent, ...responseItems].filter((id) => !clearedIds.has(id));
    const truncations: Truncation[] = [];
    for (const t of plan(cleared, others)) {
      const sent = this.client.truncate(t.itemId, t.audioEndMs);
      if (sent !== undefined) truncations.push({ itemId: t.itemId, audioEndMs: sent });
    }
    const deletedItemIds = responseItems.filter((id) => deleteResponseItems || this.client.receivedAudioMs(id) <= 0);
    if (response !== undefined && deletedItemIds.length > 0) {
      if (response.done) for (const id of deletedItemIds) this.client.deleteItem(id);
      else this.deleteWhenDone.set(response.id, deletedItemIds);
    }
    return { truncations, deletedItemIds, cancelledResponseId };
  }

  private isDroppedItem(itemId: string): boolean {
    const response = this.inFlight;
    return response !== undefined && this.droppedResponses.has(response.id) && response.items.includes(itemId);
  }

  private invokeOrchestrator(transcript: string, itemId: string | undefined): void {
    if (transcript.trim() === '') return;
    // Not awaited: the orchestrator never sits on the audio path. Its result arrives through the callback.
    this.orchestrator
      .invoke({ callSid: this.callSid, transcript, itemId, agentType: this.config.agentType })
      .catch((error: unknown) => this.emit({ type: 'error', error: toError(error), recoverable: true }));
  }

  private async onOrchestratorComplete(result: OrchestratorResult): Promise<void> {
    if (this.state !== 'open') return;
    this.emit({ type: 'intent', result });
    const update = result.instruction_update;
    if (update === undefined || update === this.currentInstruction) return;
    const decision = decideSameTurnSwitch({
      policy: this.config.sameTurnSwitch ?? DEFAULT_SAME_TURN_SWITCH,
      decidedTurnItemId: result.itemId,
      latestReply: this.latest === undefined ? undefined : this.describeReply(this.latest),
      callerSpeaking: this.callerSpeaking,
    });
    try {
      if (decision.action === 'reroute' && this.latest !== undefined) {
        await this.reroute(this.latest, update, result.agent);
        return;
      }
      if (this.latest?.turnItemId !== undefined && this.latest.turnItemId === result.itemId) {
        const reason = decision.action === 'next_turn' ? decision.reason : undefined;
        this.log.info({ reason, agent: result.agent }, 'agent switch applies from the next turn');
      }
      await this.updateInstructions(update);
      this.emit({ type: 'instructions_updated', agent: result.agent });
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
    }
  }

  private describeReply(response: ResponseState): LatestReply {
    let heardMs = 0;
    for (const itemId of response.items) heardMs = Math.max(heardMs, this.playback.confirmedPlayedMs(itemId));
    return { turnItemId: response.turnItemId, dropped: this.droppedResponses.has(response.id), heardMs };
  }

  /**
   * Replaces the stale reply to the caller's turn with the specialist's: Twilio `clear`, `response.cancel`,
   * `session.update` with the specialist's instructions, then, once the cancelled reply's `response.done` came
   * (never two responses in flight), `conversation.item.delete` of its items and `response.create`. Gives up the
   * `response.create` when the caller started a new turn meanwhile (that turn's own reply speaks as the specialist).
   */
  private async reroute(response: ResponseState, update: string, agent: string): Promise<void> {
    const startedAt = this.clock.now();
    const speechMark = this.speechStarts;
    // Twilio is cleared only when something of the reply (or anything else) reached it.
    const carrierCleared = this.playback.isAudible() || response.items.some((id) => (this.deliveredSamples.get(id) ?? 0) > 0);
    const done = response.done ? Promise.resolve() : this.responseDone(response.id);
    // The replaced reply's items are deleted, not truncated at 0: a delete leaves no empty assistant turn between
    // the caller's words and the specialist's answer. Anything else the clear flushed is truncated as in a barge-in.
    const { truncations, deletedItemIds, cancelledResponseId } = this.stopSpeaking(
      response,
      (cleared, others) =>
        planTruncations({
          cleared,
          others,
          receivedMs: (id) => this.client.receivedAudioMs(id),
          deliveredMs: (id) => Math.floor((this.deliveredSamples.get(id) ?? 0) / this.samplesPerMs),
        }).filter((t) => !response.items.includes(t.itemId)),
      true,
      carrierCleared,
    );
    await this.updateInstructions(update);
    this.emit({ type: 'instructions_updated', agent });
    await done;
    const created = this.state === 'open' && this.speechStarts === speechMark;
    if (created) this.client.createResponse();
    const cancelled = cancelledResponseId !== undefined;
    this.log.info({ agent, cancelled, truncations: truncations.length, deleted: deletedItemIds.length, created }, 'reply re-routed to the new agent');
    this.emit({
      type: 'reply_rerouted',
      at: startedAt,
      agent,
      replacedResponseId: response.id,
      cancelledResponseId,
      carrierCleared,
      truncations,
      deletedItemIds,
      responseRequested: created,
    });
  }

  /** Resolves on the response's `response.done`, the service closing, or after `CANCELLED_RESPONSE_WAIT_MS`. */
  private responseDone(responseId: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = this.doneWaiters.get(responseId) ?? [];
      const finish = (): void => {
        clearTimeout(timer);
        const left = (this.doneWaiters.get(responseId) ?? []).filter((w) => w !== finish);
        if (left.length > 0) this.doneWaiters.set(responseId, left);
        else this.doneWaiters.delete(responseId);
        resolve();
      };
      const timer = setTimeout(finish, CANCELLED_RESPONSE_WAIT_MS);
      waiters.push(finish);
      this.doneWaiters.set(responseId, waiters);
    });
  }

  private finish(reason: 'closed' | 'remote' | 'error'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.output.end();
    this.unsubscribe();
    this.droppedResponses.clear();
    this.deliveredSamples.clear();
    this.deleteWhenDone.clear();
    for (const waiters of [...this.doneWaiters.values()]) for (const resolve of [...waiters]) resolve();
    this.doneWaiters.clear();
    this.emit({ type: 'closed', reason });
    this.listeners.clear();
  }

  private emit(event: ServiceEvent): void {
    this.listeners.emit(event);
  }
}
