/**
 * The seed's `RealtimeClient`: one OpenAI Realtime session around the Agents SDK's `RealtimeAgent` +
 * `RealtimeSession` over the WebSocket transport, reduced to the closed event set in `realtime-client-events.ts`.
 * Improvements over the seed: instructions change with one `session.update` on the live session (the seed
 * reconnects, losing the conversation and cutting audio); barge-in decisions are left to the caller (the SDK's
 * wall-clock interruption is switched off in `ControlledRealtimeTransport`).
 */
import { RealtimeAgent, RealtimeSession } from '@openai/agents-realtime';
import type { WebSocket } from 'ws';
import { ConfigError, RealtimeConnectError, toError } from '../../errors.js';
import { Listeners } from '../../listeners.js';
import type { Logger } from '../../logger.js';
import type { ReplayItem } from '../../call/conversation-context.js';
import type {
  RealtimeClientEvent,
  RealtimeClientLike,
  RealtimeClientListener,
  RealtimeResponseDoneEvent,
  ResponseRequest,
  SendResult,
} from '../realtime-client-events.js';
import { DEFAULT_REALTIME_AUDIO_FORMAT, serviceSamplesPerMs, type RealtimeAudioFormatName } from '../../audio/audio-format.js';
import { buildSessionConfig, type TurnDetectionSettings } from './realtime-session-config.js';
import { startHeartbeat } from './realtime-heartbeat.js';
import { ControlledRealtimeTransport } from './realtime-transport.js';
import type { RealtimeTools } from './realtime-tools.js';
import { parseRealtimeUsage } from './realtime-usage.js';

/** Bearer token sent to a local Realtime server (`url` set, no key): the SDK refuses to connect without one. */
const LOCAL_SERVER_API_KEY = 'local-realtime-server';

/** How long `disconnect()` waits for the close handshake before terminating the socket. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 1_000;

/** Defaults of the liveness deadlines (`config.liveness` overrides them in production). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_PING_INTERVAL_MS = 5_000;
export const DEFAULT_PONG_TIMEOUT_MS = 5_000;

/** Construction options; model, voice and url come from `config.openai`. */
export interface RealtimeClientOptions {
  readonly name: string;
  readonly instructions: string;
  readonly model: string;
  readonly voice: string;
  readonly apiKey?: string | undefined;
  /** Endpoint override (`config.openai.realtimeUrl`); undefined means OpenAI's. */
  readonly url?: string | undefined;
  readonly tools?: RealtimeTools;
  readonly logger: Logger;
  readonly turnDetection?: TurnDetectionSettings | undefined;
  readonly transcriptionModel?: string | undefined;
  /**
   * The wire audio format both ways, in every `session.update` (`config.openai.realtimeAudioFormat`; default `pcmu`).
   * The client's PCM is 8 kHz for `pcmu` (encoded to μ-law for appends, deltas decoded) and 24 kHz for `pcm16`.
   */
  readonly audioFormat?: RealtimeAudioFormatName | undefined;
  /** `connect()` fails after this long (an upgrade never answered, a socket that never opens). */
  readonly connectTimeoutMs?: number | undefined;
  /** A ping is sent this long after the last pong. */
  readonly pingIntervalMs?: number | undefined;
  /** A ping not answered within this ends the session as failed. */
  readonly pongTimeoutMs?: number | undefined;
}

const RESPONSE_STATUSES = new Set<RealtimeResponseDoneEvent['status']>([
  'completed',
  'cancelled',
  'failed',
  'incomplete',
  'in_progress',
]);

/** Raw server event as the SDK hands it to `*` listeners. */
type RawEvent = { readonly type: string; readonly [key: string]: unknown };

/** One Realtime session; see the file comment. Not reusable after `disconnect()`. */
export class RealtimeClient implements RealtimeClientLike {
  private readonly options: RealtimeClientOptions;
  private readonly log: Logger;
  private readonly listeners: Listeners<RealtimeClientEvent>;
  private readonly receivedSamples = new Map<string, number>();
  private readonly partialTranscripts = new Map<string, string>();
  private readonly audioFormat: RealtimeAudioFormatName;
  /** PCM16 samples per millisecond of the client's audio (the wire format's rate). */
  private readonly samplesPerMs: number;
  private transport: ControlledRealtimeTransport | undefined;
  private session: RealtimeSession | undefined;
  private socket: WebSocket | undefined;
  private instructions: string;
  private responseInFlight: string | undefined;
  private cancelRequested = false;
  private state: 'idle' | 'connecting' | 'open' | 'closing' | 'closed' = 'idle';
  private socketFailed = false;
  private updateChain: Promise<void> = Promise.resolve();
  private closeWaiter: (() => void) | undefined;
  /** Inputs asked for before the session opened, written in order once it opens (see `sendRequest`). */
  private readonly untilOpen: Array<() => void> = [];
  /** Settles `opened()`: true when the session opened, false when it closed or failed first. */
  private readonly openOutcome: Promise<boolean>;
  private settleOpen: (opened: boolean) => void = () => undefined;
  private notDelivered = 0;

  constructor(options: RealtimeClientOptions) {
    this.options = options;
    this.log = options.logger;
    this.listeners = new Listeners<RealtimeClientEvent>((err, event) =>
      this.log.error({ err, eventType: event.type }, 'realtime client listener failed'),
    );
    this.instructions = options.instructions;
    this.audioFormat = options.audioFormat ?? DEFAULT_REALTIME_AUDIO_FORMAT;
    this.samplesPerMs = serviceSamplesPerMs(this.audioFormat);
    this.openOutcome = new Promise<boolean>((resolve) => {
      this.settleOpen = resolve;
    });
  }

  /**
   * Opens the session. Throws `ConfigError` without an API key or local url, `RealtimeConnectError` when the socket
   * cannot be opened within `connectTimeoutMs` or closes during setup.
   */
  async connect(): Promise<void> {
    if (this.state !== 'idle') throw new Error('RealtimeClient.connect() may be called once per client');
    const apiKey = this.options.apiKey ?? (this.options.url ? LOCAL_SERVER_API_KEY : undefined);
    if (!apiKey) throw new ConfigError('RealtimeClient needs an OpenAI API key (or a url of a local Realtime server)');
    this.state = 'connecting';
    const transport = new ControlledRealtimeTransport(this.audioFormat);
    const session = new RealtimeSession(this.buildAgent(this.instructions), {
      transport,
      model: this.options.model,
      config: buildSessionConfig({
        voice: this.options.voice,
        audioFormat: this.audioFormat,
        turnDetection: this.options.turnDetection,
        transcriptionModel: this.options.transcriptionModel,
      }),
      tracingDisabled: true,
      historyStoreAudio: false,
    });
    this.transport = transport;
    this.session = session;
    transport.setAudioSink((itemId, responseId, pcm) => this.onAudio(itemId, responseId, pcm));
    transport.on('*', (event) => this.onServerEvent(event as RawEvent));
    transport.on('function_call', (call) =>
      this.emit({
        type: 'tool_call',
        itemId: call.id,
        callId: call.callId,
        name: call.name,
        arguments: call.arguments,
        responseId: call.responseId,
      }),
    );
    session.on('error', (event) => this.onError(event.error));
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    try {
      const connecting = session.connect({ apiKey, ...(this.options.url ? { url: this.options.url } : {}) });
      // The losing side of the race below must not surface as an unhandled rejection.
      connecting.catch(() => undefined);
      await Promise.race([
        connecting,
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`no open Realtime socket after ${connectTimeoutMs} ms`)),
            connectTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.state = 'closed';
      this.dropQueued('connect failed');
      transport.terminateSocket();
      try {
        session.close();
      } catch (closeError) {
        this.log.debug({ err: toError(closeError) }, 'realtime session close after a failed connect failed');
      }
      throw new RealtimeConnectError(`Realtime connection failed: ${toError(error).message}`, { cause: error });
    } finally {
      clearTimeout(deadline);
    }
    const socket = transport.connectionState.websocket as WebSocket | undefined;
    if (!socket) {
      this.state = 'closed';
      this.dropQueued('closed during setup');
      throw new RealtimeConnectError('Realtime connection closed during setup');
    }
    this.socket = socket;
    socket.once('close', (code: number) => this.onSocketClose(code));
    if (this.state !== 'connecting') {
      // disconnect() was called while the handshake ran: close what just opened.
      this.dropQueued('disconnected during setup');
      session.close();
      return;
    }
    startHeartbeat(socket, {
      intervalMs: this.options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
      timeoutMs: this.options.pongTimeoutMs ?? DEFAULT_PONG_TIMEOUT_MS,
      onTimeout: (waitedMs) => {
        // The close that follows the terminate is then reported as a failure, not a remote hang-up.
        this.socketFailed = true;
        this.log.warn({ waitedMs }, 'realtime socket answered no ping; ending the session');
      },
    });
    this.state = 'open';
    this.log.info({ model: this.options.model, local: Boolean(this.options.url), queued: this.untilOpen.length }, 'realtime session connected');
    for (const send of this.untilOpen.splice(0)) send();
    this.settleOpen(true);
  }

  opened(): Promise<boolean> {
    return this.openOutcome;
  }

  /** Closes the session and waits for the socket to close (terminating it after a short grace). Idempotent. */
  async disconnect(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'closed';
      this.dropQueued('disconnected before connect');
      return;
    }
    if (this.state === 'closed') return;
    if (this.state === 'closing') {
      await new Promise<void>((resolve) => this.chainCloseWaiter(resolve));
      return;
    }
    this.state = 'closing';
    const socket = this.socket;
    const closed = new Promise<void>((resolve) => this.chainCloseWaiter(resolve));
    try {
      this.session?.close();
    } catch (error) {
      this.log.warn({ err: toError(error) }, 'realtime session close failed');
    }
    if (!socket) {
      this.finishClose('disconnect', undefined);
      return;
    }
    const timer = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  }

  /**
   * PCM16 (8 kHz for `pcmu`, 24 kHz for `pcm16`) is appended in the wire format; a string becomes a user text message followed by `response.create`. Before the
   * session is open a string is queued (sent in order on open) and audio is not delivered: caller audio from before
   * the session existed would reach the model late, as a turn out of time.
   */
  sendRequest(input: Int16Array | string): SendResult {
    if (this.state === 'idle' || this.state === 'connecting') {
      if (typeof input !== 'string') return this.reportNotDelivered('audio before the session opened');
      this.untilOpen.push(() => this.sendRequest(input));
      return 'queued';
    }
    const transport = this.transport;
    if (this.state !== 'open' || !transport?.isOpen) return this.reportNotDelivered(typeof input === 'string' ? 'text after close' : 'audio after close');
    try {
      if (typeof input === 'string') {
        this.session?.sendMessage(input);
        return 'sent';
      }
      // Straight to the socket: the SDK's sendAudio builds a binary string byte by byte before its base64.
      return transport.appendAudio(input) ? 'sent' : this.reportNotDelivered('audio on a closing socket');
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
      return 'not_delivered';
    }
  }

  /**
   * One `session.update` through `RealtimeSession.updateAgent` with a new agent carrying the same name, voice and
   * tools; the session's `config` keeps formats and VAD in the same update. Updates are applied in call order.
   */
  updateInstructions(instructions: string): Promise<void> {
    this.instructions = instructions;
    // Before connect() the agent is built from `this.instructions`; during the handshake the update waits for open.
    if (this.state === 'idle') return Promise.resolve();
    const apply = async (): Promise<void> => {
      if (this.state === 'connecting' && !(await this.openOutcome)) return;
      const session = this.session;
      if (this.state !== 'open' || !session) {
        this.reportNotDelivered('instructions after close');
        return;
      }
      try {
        await session.updateAgent(this.buildAgent(instructions));
        this.log.info({ chars: instructions.length }, 'realtime instructions updated');
      } catch (error) {
        this.emit({ type: 'error', error: toError(error), recoverable: true });
      }
    };
    this.updateChain = this.updateChain.then(apply);
    return this.updateChain;
  }

  /** Asks for a response; the SDK's sequencer holds it until no other response is in flight. Queued before open. */
  createResponse(request: ResponseRequest = {}): SendResult {
    if (this.state === 'idle' || this.state === 'connecting') {
      this.untilOpen.push(() => this.createResponse(request));
      return 'queued';
    }
    const transport = this.transport;
    if (this.state !== 'open' || !transport?.isOpen) return this.reportNotDelivered('response.create after close');
    try {
      transport.requestResponse(request.instructions !== undefined ? { instructions: request.instructions } : undefined);
      return 'sent';
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
      return 'not_delivered';
    }
  }

  /** Sends `conversation.item.create` with a finished text item (no response asked); false when the session is not open. */
  addItem(item: ReplayItem): boolean {
    const transport = this.transport;
    if (this.state !== 'open' || !transport?.isOpen) return false;
    try {
      transport.sendEvent({ type: 'conversation.item.create', item });
      return true;
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
      return false;
    }
  }

  /** Sends `conversation.item.delete`; false when the session is not open. */
  deleteItem(itemId: string): boolean {
    const transport = this.transport;
    if (this.state !== 'open' || !transport?.isOpen) return false;
    try {
      transport.sendEvent({ type: 'conversation.item.delete', item_id: itemId });
      return true;
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
      return false;
    }
  }

  /**
   * Sends a truncate capped at the audio received for the item (so the server can never reject it); nothing for an
   * item with no audio received, which the server cannot truncate.
   */
  truncate(itemId: string, audioEndMs: number): number | undefined {
    const received = this.receivedAudioMs(itemId);
    if (received <= 0) return undefined;
    const capped = Math.max(0, Math.floor(Math.min(audioEndMs, received)));
    const transport = this.transport;
    if (this.state !== 'open' || !transport?.isOpen) return undefined;
    try {
      transport.truncateItem(itemId, capped);
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
    }
    return capped;
  }

  /** Sends `response.cancel` only while a response is in flight and not already being cancelled. */
  cancelResponse(): boolean {
    const transport = this.transport;
    if (this.responseInFlight === undefined || this.cancelRequested || !transport?.isOpen) return false;
    this.cancelRequested = true;
    try {
      transport.cancelInFlight();
    } catch (error) {
      this.emit({ type: 'error', error: toError(error), recoverable: true });
      return false;
    }
    return true;
  }

  isResponseInFlight(): boolean {
    return this.responseInFlight !== undefined;
  }

  receivedAudioMs(itemId: string): number {
    return Math.floor((this.receivedSamples.get(itemId) ?? 0) / this.samplesPerMs);
  }

  on(listener: RealtimeClientListener): () => void {
    return this.listeners.add(listener);
  }

  private buildAgent(instructions: string): RealtimeAgent {
    return new RealtimeAgent({
      name: this.options.name,
      instructions,
      voice: this.options.voice,
      ...(this.options.tools ? { tools: this.options.tools } : {}),
    });
  }

  private onAudio(itemId: string, responseId: string, pcm: Int16Array): void {
    this.receivedSamples.set(itemId, (this.receivedSamples.get(itemId) ?? 0) + pcm.length);
    this.emit({ type: 'audio', itemId, responseId, pcm });
  }

  private onServerEvent(event: RawEvent): void {
    switch (event.type) {
      case 'input_audio_buffer.speech_started': {
        const audioStartMs = event.audio_start_ms;
        if (typeof audioStartMs !== 'number') return this.dropMalformed(event.type);
        this.emit({ type: 'speech_started', itemId: optionalString(event.item_id), audioStartMs });
        return;
      }
      case 'input_audio_buffer.speech_stopped': {
        const audioEndMs = event.audio_end_ms;
        if (typeof audioEndMs !== 'number') return this.dropMalformed(event.type);
        this.emit({ type: 'speech_stopped', itemId: optionalString(event.item_id), audioEndMs });
        return;
      }
      case 'conversation.item.input_audio_transcription.delta':
      case 'response.output_audio_transcript.delta': {
        const itemId = event.item_id;
        const delta = event.delta;
        if (typeof itemId !== 'string' || typeof delta !== 'string') return this.dropMalformed(event.type);
        const text = (this.partialTranscripts.get(itemId) ?? '') + delta;
        this.partialTranscripts.set(itemId, text);
        const role = event.type === 'response.output_audio_transcript.delta' ? 'assistant' : 'user';
        this.emit({ type: 'transcript', role, itemId, text, final: false });
        return;
      }
      case 'conversation.item.input_audio_transcription.completed':
      case 'response.output_audio_transcript.done': {
        const itemId = event.item_id;
        const text = event.transcript;
        if (typeof itemId !== 'string' || typeof text !== 'string') return this.dropMalformed(event.type);
        this.partialTranscripts.delete(itemId);
        const role = event.type === 'response.output_audio_transcript.done' ? 'assistant' : 'user';
        this.emit({ type: 'transcript', role, itemId, text, final: true });
        return;
      }
      case 'conversation.item.added': {
        const item = event.item as { id?: unknown; role?: unknown } | undefined;
        if (item?.role !== 'user') return;
        if (typeof item.id !== 'string') return this.dropMalformed(event.type);
        this.emit({ type: 'user_item', itemId: item.id });
        return;
      }
      case 'response.output_item.added': {
        const item = event.item as { id?: unknown; type?: unknown } | undefined;
        const responseId = event.response_id;
        if (item?.type !== 'message') return;
        if (typeof item.id !== 'string' || typeof responseId !== 'string') return this.dropMalformed(event.type);
        this.emit({ type: 'output_item', itemId: item.id, responseId });
        return;
      }
      case 'response.created': {
        const responseId = responseIdOf(event);
        if (responseId === undefined) return this.dropMalformed(event.type);
        this.responseInFlight = responseId;
        this.cancelRequested = false;
        this.emit({ type: 'response_started', responseId });
        return;
      }
      case 'response.done': {
        const responseId = responseIdOf(event);
        if (responseId === undefined) return this.dropMalformed(event.type);
        if (this.responseInFlight === responseId) {
          this.responseInFlight = undefined;
          this.cancelRequested = false;
        }
        const response = event.response as { status?: unknown; output?: unknown; usage?: unknown } | undefined;
        const status = RESPONSE_STATUSES.has(response?.status as RealtimeResponseDoneEvent['status'])
          ? (response?.status as RealtimeResponseDoneEvent['status'])
          : 'unknown';
        this.forgetPartials(response?.output);
        this.emit({ type: 'response_done', responseId, status, usage: parseRealtimeUsage(response?.usage) });
        return;
      }
      default:
        return;
    }
  }

  private onError(raw: unknown): void {
    // Server `error` events arrive as the parsed event; socket and tool failures as Error objects.
    if (raw && typeof raw === 'object' && (raw as { type?: unknown }).type === 'error' && !(raw instanceof Error)) {
      const detail = (raw as { error?: { message?: unknown; code?: unknown } }).error;
      const message = typeof detail?.message === 'string' ? detail.message : 'Realtime server error';
      const code = typeof detail?.code === 'string' ? detail.code : undefined;
      if (code === CANCEL_RACE_CODE) {
        // The response ended while our cancel was on the wire: what the cancel asked for has happened.
        this.log.debug({ code }, 'response cancel crossed the response end');
        return;
      }
      this.log.warn({ code }, 'realtime server error');
      this.emit({ type: 'error', error: new Error(message), recoverable: true, code });
      return;
    }
    const error = toError(raw instanceof Error || typeof raw !== 'object' ? raw : ((raw as { error?: unknown }).error ?? raw));
    const live = this.state === 'open' && this.transport?.isOpen === true;
    if (!live) this.socketFailed = true;
    this.log.warn({ err: error }, 'realtime transport error');
    this.emit({ type: 'error', error, recoverable: live });
  }

  private onSocketClose(code: number): void {
    const reason = this.state === 'closing' ? 'disconnect' : this.socketFailed ? 'error' : 'remote';
    if (reason !== 'disconnect') {
      // The remote side closed: release the SDK's state too (it already saw the close; this is idempotent).
      try {
        this.session?.close();
      } catch (error) {
        this.log.debug({ err: toError(error) }, 'realtime session close after remote close failed');
      }
    }
    this.finishClose(reason, code);
  }

  private finishClose(reason: 'disconnect' | 'remote' | 'error', code: number | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dropQueued(reason);
    this.responseInFlight = undefined;
    this.receivedSamples.clear();
    this.partialTranscripts.clear();
    this.transport?.setAudioSink(undefined);
    this.log.info({ reason, code }, 'realtime session closed');
    this.emit({ type: 'closed', reason, code });
    const waiter = this.closeWaiter;
    this.closeWaiter = undefined;
    waiter?.();
  }

  private chainCloseWaiter(resolve: () => void): void {
    const previous = this.closeWaiter;
    this.closeWaiter = () => {
      previous?.();
      resolve();
    };
  }

  private forgetPartials(output: unknown): void {
    if (!Array.isArray(output)) return;
    for (const item of output) {
      const id = (item as { id?: unknown } | null)?.id;
      if (typeof id === 'string') this.partialTranscripts.delete(id);
    }
  }

  /** Inputs queued for an open that will never come: reported, never silently lost. */
  private dropQueued(reason: string): void {
    const dropped = this.untilOpen.splice(0).length;
    if (dropped > 0) this.log.warn({ dropped, reason }, 'realtime inputs queued before open were not delivered');
    this.settleOpen(false);
  }

  /** Counts an input that could not be sent; logs the first and then every hundredth (audio comes 50 a second). */
  private reportNotDelivered(what: string): 'not_delivered' {
    this.notDelivered += 1;
    if (this.notDelivered === 1 || this.notDelivered % 100 === 0) {
      this.log.warn({ what, notDelivered: this.notDelivered, state: this.state }, 'realtime input not delivered: session not open');
    }
    return 'not_delivered';
  }

  private dropMalformed(type: string): void {
    this.log.debug({ eventType: type }, 'malformed realtime event dropped');
  }

  private emit(event: RealtimeClientEvent): void {
    this.listeners.emit(event);
  }
}

/** The server's answer to a `response.cancel` that crossed `response.done` on the wire (a benign race on barge-in). */
const CANCEL_RACE_CODE = 'response_cancel_not_active';

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function responseIdOf(event: RawEvent): string | undefined {
  const id = (event.response as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
