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
 *   SDK's wall-clock guess, and no truncate can exceed the audio the server generated.
 */
import { performance } from 'node:perf_hooks';
import type { AbstractOrchestrator, OrchestratorResult } from '../domain/orchestrator.js';
import { toError, VoiceBotError } from '../errors.js';
import { RealtimeClient } from '../infrastructure/realtime-client.js';
import type { RealtimeClientEvent, RealtimeClientLike } from '../infrastructure/realtime-client-events.js';
import { REALTIME_SAMPLES_PER_MS } from '../infrastructure/realtime-session-config.js';
import type { Logger } from '../logger.js';
import { AudioOutputQueue } from './audio-output-queue.js';
import { planTruncations } from './barge-in.js';
import type { PlaybackControl } from './playback.js';
import type { ServiceConfig } from './service-config.js';
import type { ServiceAudioChunk, ServiceEvent, ServiceListener } from './service-events.js';

/** Monotonic time source for event stamps. */
export interface ServiceClock {
  now(): number;
}

/** Dependencies of one service; `client` defaults to a real `RealtimeClient` built from the config. */
export interface RealtimeServiceOptions {
  readonly client?: RealtimeClientLike | undefined;
  /** What the caller hears, from the carrier adapter; drives barge-in. */
  readonly playback: PlaybackControl;
  /** The call's child logger. */
  readonly logger: Logger;
  readonly clock?: ServiceClock | undefined;
  /** Twilio CallSid (the orchestrator's thread id). */
  readonly callSid: string;
}

const defaultClock: ServiceClock = { now: () => performance.now() };

/** The empty PCM of an item's end marker. */
const NO_AUDIO = new Int16Array(0);

/** One call's Realtime agent; see the file comment. */
export class RealtimeService {
  readonly config: ServiceConfig;
  private readonly orchestrator: AbstractOrchestrator;
  private readonly client: RealtimeClientLike;
  private readonly playback: PlaybackControl;
  private readonly log: Logger;
  private readonly clock: ServiceClock;
  private readonly callSid: string;
  private readonly listeners = new Set<ServiceListener>();
  private readonly output: AudioOutputQueue;
  /** Responses cancelled by a barge-in: their late deltas are dropped until their `response.done`. */
  private readonly droppedResponses = new Set<string>();
  /** Item ids of the response in flight, in arrival order. */
  private inFlightItems: string[] = [];
  private inFlightResponse: string | undefined;
  /** Samples of each item handed to the carrier (bounded by the items of one call). */
  private readonly deliveredSamples = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private currentInstruction: string;
  private processing = false;
  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(config: ServiceConfig, orchestrator: AbstractOrchestrator, options: RealtimeServiceOptions) {
    this.config = config;
    this.orchestrator = orchestrator;
    this.playback = options.playback;
    this.log = options.logger;
    this.clock = options.clock ?? defaultClock;
    this.callSid = options.callSid;
    this.currentInstruction = config.initialInstruction;
    this.client = options.client ?? this.initializeClient();
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
   * Forwards every inbound chunk (PCM16 mono 24 kHz) to the session as it arrives and returns the model's audio
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

  /** Makes the bot speak first: `response.create` with the configured greeting as its instructions. */
  greet(): void {
    this.client.createResponse(this.config.greeting !== undefined ? { instructions: this.config.greeting } : {});
  }

  /** Seed's `update_instructions`: one `session.update` on the live session; audio keeps playing. */
  async updateInstructions(instructions: string): Promise<void> {
    this.currentInstruction = instructions;
    await this.client.updateInstructions(instructions);
  }

  /** Subscribes to service events; returns the unsubscribe function. */
  on(listener: ServiceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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

  private initializeClient(): RealtimeClientLike {
    const { config } = this;
    return new RealtimeClient({
      name: config.name,
      instructions: this.currentInstruction,
      model: config.modelSettings.model,
      voice: config.modelSettings.voice,
      apiKey: config.apiKey,
      url: config.url,
      tools: config.tools,
      turnDetection: config.modelSettings.turnDetection,
      transcriptionModel: config.modelSettings.transcriptionModel,
      logger: this.log,
    });
  }

  private async pump(input: AsyncIterable<Int16Array>): Promise<void> {
    try {
      for await (const pcm of input) {
        if (this.state !== 'open') break;
        this.client.sendRequest(pcm);
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
        if (event.responseId === this.inFlightResponse && !this.inFlightItems.includes(event.itemId)) {
          this.inFlightItems.push(event.itemId);
        }
        this.output.push({ itemId: event.itemId, pcm: event.pcm });
        return;
      case 'transcript':
        if (event.role === 'assistant' && this.isDroppedItem(event.itemId)) return;
        this.emit({ type: 'transcript', role: event.role, itemId: event.itemId, text: event.text, final: event.final });
        if (event.role === 'user' && event.final) this.invokeOrchestrator(event.text, event.itemId);
        return;
      case 'speech_started':
        return this.onSpeechStarted(event.itemId, event.audioStartMs);
      case 'speech_stopped':
        this.emit({ type: 'speech_stopped', itemId: event.itemId, audioEndMs: event.audioEndMs });
        return;
      case 'response_started':
        this.inFlightResponse = event.responseId;
        this.inFlightItems = [];
        this.emit({ type: 'response_started', responseId: event.responseId });
        return;
      case 'response_done': {
        // No delta of a response can follow its response.done, so its drop entry is no longer needed.
        const dropped = this.droppedResponses.delete(event.responseId);
        if (this.inFlightResponse === event.responseId) {
          if (!dropped) for (const itemId of this.inFlightItems) this.output.push({ itemId, pcm: NO_AUDIO, itemDone: true });
          this.inFlightResponse = undefined;
          this.inFlightItems = [];
        }
        this.emit({ type: 'response_done', responseId: event.responseId, status: event.status, usage: event.usage });
        return;
      }
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

  /**
   * Barge-in: only when the caller can hear the bot. Clear the carrier at once, cancel the response if it is still
   * in flight, truncate what was heard, and drop whatever of it is still on its way.
   */
  private onSpeechStarted(itemId: string | undefined, audioStartMs: number): void {
    const audible = this.playback.isAudible();
    this.emit({ type: 'speech_started', itemId, audioStartMs, audible });
    if (!audible) return;
    const cleared = this.playback.clear();
    const unsent = this.output.purge();
    const responseId = this.client.isResponseInFlight() ? this.inFlightResponse : undefined;
    const cancelled = this.client.cancelResponse();
    if (responseId !== undefined) this.droppedResponses.add(responseId);
    const clearedIds = new Set(cleared.map((s) => s.itemId));
    const others = [...unsent, ...(responseId !== undefined ? this.inFlightItems : [])].filter((id) => !clearedIds.has(id));
    const plan = planTruncations({
      cleared,
      others,
      receivedMs: (id) => this.client.receivedAudioMs(id),
      deliveredMs: (id) => Math.floor((this.deliveredSamples.get(id) ?? 0) / REALTIME_SAMPLES_PER_MS),
    });
    const truncations = plan.map((t) => ({ itemId: t.itemId, audioEndMs: this.client.truncate(t.itemId, t.audioEndMs) }));
    this.log.info({ truncations: truncations.length, cancelled, audioEndMs: truncations[0]?.audioEndMs }, 'barge-in');
    this.emit({
      type: 'barge_in',
      at: this.clock.now(),
      cancelledResponseId: cancelled ? responseId : undefined,
      truncations,
    });
  }

  private isDroppedItem(itemId: string): boolean {
    return this.inFlightResponse !== undefined && this.droppedResponses.has(this.inFlightResponse) && this.inFlightItems.includes(itemId);
  }

  private invokeOrchestrator(transcript: string, itemId: string): void {
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
    try {
      await this.updateInstructions(update);
      this.emit({ type: 'instructions_updated', agent: result.agent });
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
    }
  }

  private finish(reason: 'closed' | 'remote' | 'error'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.output.end();
    this.unsubscribe();
    this.droppedResponses.clear();
    this.deliveredSamples.clear();
    this.emit({ type: 'closed', reason });
    this.listeners.clear();
  }

  private emit(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: toError(error), eventType: event.type }, 'service listener failed');
      }
    }
  }
}
