/**
 * One fake Realtime session on one socket, speaking the GA protocol as `../shared/docs/protocols.md` lists it:
 * every server event has an `event_id` and all required fields; `session.updated` answers every `session.update`,
 * `conversation.item.retrieved` every retrieve, `conversation.item.truncated` every valid truncate (an `error`, as
 * the real server sends, when `audio_end_ms` is past the audio generated for the item); responses are serialized.
 */
import type { WebSocket } from 'ws';
import { EnergyVad, type EnergyVadOptions } from './energy-vad.js';
import { decodeAppendedAudio, encodeDeltaAudio, wireFormatOf } from './wire-audio.js';
import { FAKE_SAMPLES_PER_MS, tone, type FakeResponseScript, type FakeScript, type FakeTurnScript } from './script.js';

/** A JSON object as sent or received on the wire. */
export type WireEvent = { type: string; [key: string]: unknown };

/** Settings shared by all connections of one server. */
export interface FakeConnectionSettings {
  readonly script: FakeScript;
  /** Milliseconds of audio per `response.output_audio.delta`. */
  readonly chunkMs: number;
  /** 1 streams audio in real time, 0.25 at four times real time, 0 as fast as the event loop allows. */
  readonly realtimeFactor: number;
  readonly vad: EnergyVadOptions;
  /** Audio deltas still sent after a `response.cancel` arrives (0 is the GA server: nothing after the cancel). */
  readonly deltasAfterCancel: number;
  /**
   * Model timing, as the real server shows it: the caller's final transcript arrives `transcriptDelayMs` after the
   * commit (300–700 ms in production) and a response's first audio `firstAudioDelayMs` after `response.created`
   * (600–1200 ms; a VAD turn's response is created at the commit). 0 sends them at once. A turn script may
   * override both.
   */
  readonly timing: FakeTiming;
  readonly nextId: (prefix: string) => string;
  readonly onClientEvent: (event: WireEvent) => void;
  readonly onServerEvent: (event: WireEvent) => void;
}

/** Delays of the fake model (see `FakeConnectionSettings.timing`). */
export interface FakeTiming {
  readonly transcriptDelayMs: number;
  readonly firstAudioDelayMs: number;
}

interface Item {
  id: string;
  type: 'message' | 'function_call' | 'function_call_output';
  role?: 'user' | 'assistant' | 'system';
  status: 'in_progress' | 'completed' | 'incomplete';
  content?: Array<Record<string, unknown>>;
  name?: string;
  call_id?: string;
  arguments?: string;
  output?: string;
}

interface ActiveResponse {
  readonly id: string;
  readonly script: FakeResponseScript;
  readonly item: Item;
  readonly chunks: Int16Array[];
  readonly words: string[];
  next: number;
  wordsSent: number;
  transcript: string;
  timer: NodeJS.Timeout | undefined;
  readonly startedAt: number;
  /** Wall-clock delay from `startedAt` to the first delta. */
  readonly firstAudioDelayMs: number;
}

const DEFAULT_FALLBACK: FakeResponseScript = { transcript: 'Sorry, could you repeat that?', durationMs: 600 };
const DEFAULT_TONE_MS = 1_000;

/**
 * The `session` object of `session.created` as the GA server sends it before any `session.update` (the load
 * benchmark's lean fake starts from it too), limited to the fields the GA types declare (`RealtimeSessionCreateRequest`
 * of the `openai` package): the live server also sends `object`, `id` and `expires_at`, which those types leave out
 * and no client here reads. `_id` is kept for callers that name their sessions.
 */
export function initialSession(_id: string): Record<string, unknown> {
  return {
    type: 'realtime',
    model: 'gpt-realtime',
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    // Fields the GA types declare optional but not nullable (`include`, `transcription`, `noise_reduction`) are
    // left out until a session.update sets them.
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24000 },
        turn_detection: {
          type: 'server_vad',
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 200,
          idle_timeout_ms: null,
          create_response: true,
          interrupt_response: true,
        },
      },
      output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
    },
  };
}

function isValidFormat(format: unknown): boolean {
  if (!format || typeof format !== 'object') return false;
  const f = format as { type?: unknown; rate?: unknown };
  if (f.type === 'audio/pcm') return f.rate === undefined || f.rate === 24000;
  return f.type === 'audio/pcmu' || f.type === 'audio/pcma';
}

/** The protocol state machine of one connection. */
export class FakeRealtimeConnection {
  private readonly socket: WebSocket;
  private readonly settings: FakeConnectionSettings;
  private readonly session: Record<string, unknown>;
  private readonly items = new Map<string, Item>();
  private lastItemId: string | null = null;
  private readonly generatedSamples = new Map<string, number>();
  private readonly vad: EnergyVad;
  private appendedSamples = 0;
  private uncommittedSamples = 0;
  /** Caller audio committed so far, in samples: the conversation's input audio, billed on every response. */
  private committedSamples = 0;
  /** Input text tokens of the previous response: OpenAI serves a repeated prompt prefix from its cache. */
  private previousInputTextTokens = 0;
  private speechItemId: string | undefined;
  private turnIndex = 0;
  /** Where the energy detector heard the current segment start, and how long the last segment was (input ms). */
  private speechStartedMs: number | undefined;
  private lastSpeechMs: number | undefined;
  private userTurns = 0;
  private greeted = false;
  /** A typed user message's reply waits in `replyQueue` for the next response.create. */
  private textReplyQueued = false;
  private audioProduced = false;
  private readonly replyQueue: FakeResponseScript[] = [];
  private readonly followUps = new Map<string, FakeResponseScript>();
  private readonly pendingAuto: FakeResponseScript[] = [];
  /**
   * The reply the client cancelled, answered again by its next `response.create` (the model answers the same turn
   * again, e.g. as another agent); forgotten when a new caller turn is committed.
   */
  private retryScript: FakeResponseScript | undefined;
  private active: ActiveResponse | undefined;
  /** Transcriptions scheduled `transcriptDelayMs` after their commit. */
  private readonly transcriptTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(socket: WebSocket, settings: FakeConnectionSettings) {
    this.socket = socket;
    this.settings = settings;
    this.session = initialSession(settings.nextId('sess'));
    this.vad = new EnergyVad(settings.vad);
    socket.on('message', (data, isBinary) => this.onMessage(data.toString(), isBinary));
    socket.on('close', () => this.dispose());
    this.send({ type: 'session.created', session: this.snapshot() });
  }

  /** The session's current audio settings (formats both ways). */
  private audioConfig(): { input?: { format?: unknown }; output?: { format?: unknown } } {
    return (this.session.audio ?? {}) as { input?: { format?: unknown }; output?: { format?: unknown } };
  }

  /** Milliseconds of audio generated for an assistant item so far. */
  generatedMs(itemId: string): number {
    return (this.generatedSamples.get(itemId) ?? 0) / FAKE_SAMPLES_PER_MS;
  }

  /** Sends an arbitrary server event (an `event_id` is added); for fault injection. */
  inject(event: WireEvent): void {
    this.send(event);
  }

  /** Stops every timer; called on close. */
  dispose(): void {
    this.closed = true;
    if (this.active?.timer) clearTimeout(this.active.timer);
    this.active = undefined;
    this.pendingAuto.length = 0;
    for (const timer of this.transcriptTimers) clearTimeout(timer);
    this.transcriptTimers.clear();
  }

  private onMessage(text: string, isBinary: boolean): void {
    if (isBinary) return this.error('invalid_request_error', 'invalid_event', 'Binary frames are not supported');
    let event: WireEvent;
    try {
      event = JSON.parse(text) as WireEvent;
    } catch {
      return this.error('invalid_request_error', 'invalid_json', 'The server could not parse the event as JSON');
    }
    if (!event || typeof event.type !== 'string') {
      return this.error('invalid_request_error', 'invalid_event', 'The event is missing a type');
    }
    this.settings.onClientEvent(event);
    const clientEventId = typeof event.event_id === 'string' ? event.event_id : null;
    switch (event.type) {
      case 'session.update':
        return this.onSessionUpdate(event, clientEventId);
      case 'input_audio_buffer.append':
        return this.onAppend(event, clientEventId);
      case 'input_audio_buffer.commit':
        return this.onCommit(clientEventId);
      case 'input_audio_buffer.clear':
        this.uncommittedSamples = 0;
        return this.send({ type: 'input_audio_buffer.cleared' });
      case 'conversation.item.create':
        return this.onItemCreate(event, clientEventId);
      case 'conversation.item.retrieve':
        return this.onRetrieve(event, clientEventId);
      case 'conversation.item.truncate':
        return this.onTruncate(event, clientEventId);
      case 'conversation.item.delete':
        return this.onDelete(event, clientEventId);
      case 'response.create':
        return this.onResponseCreate(clientEventId);
      case 'response.cancel':
        return this.onCancel(clientEventId);
      default:
        return this.error('invalid_request_error', 'invalid_event', `Unknown event type: ${event.type}`, clientEventId);
    }
  }

  private onSessionUpdate(event: WireEvent, clientEventId: string | null): void {
    const update = (event.session ?? {}) as Record<string, unknown>;
    const audio = (update.audio ?? {}) as { input?: Record<string, unknown>; output?: Record<string, unknown> };
    if (audio.input?.format !== undefined && !isValidFormat(audio.input.format)) {
      return this.error('invalid_request_error', 'invalid_value', 'Invalid value for session.audio.input.format', clientEventId);
    }
    if (audio.output?.format !== undefined && !isValidFormat(audio.output.format)) {
      return this.error('invalid_request_error', 'invalid_value', 'Invalid value for session.audio.output.format', clientEventId);
    }
    const current = this.session.audio as { input: Record<string, unknown>; output: Record<string, unknown> };
    const newVoice = audio.output?.voice;
    if (this.audioProduced && newVoice !== undefined && newVoice !== current.output.voice) {
      return this.error(
        'invalid_request_error',
        'cannot_update_voice',
        "Cannot update a conversation's voice if assistant audio is present.",
        clientEventId,
      );
    }
    for (const [key, value] of Object.entries(update)) {
      if (key !== 'audio' && value !== undefined) this.session[key] = value;
    }
    if (audio.input) current.input = { ...current.input, ...stripUndefined(audio.input) };
    if (audio.output) current.output = { ...current.output, ...stripUndefined(audio.output) };
    this.send({ type: 'session.updated', session: this.snapshot() });
  }

  private onAppend(event: WireEvent, clientEventId: string | null): void {
    if (typeof event.audio !== 'string') {
      return this.error('invalid_request_error', 'missing_required_parameter', 'Missing required parameter: audio', clientEventId);
    }
    const samples = decodeAppendedAudio(wireFormatOf(this.audioConfig().input?.format), event.audio);
    this.appendedSamples += samples.length;
    this.uncommittedSamples += samples.length;
    const detection = this.turnDetection();
    if (!detection) return;
    const hangoverMs = typeof detection.silence_duration_ms === 'number' ? detection.silence_duration_ms : undefined;
    for (const transition of this.vad.push(samples, hangoverMs)) {
      if (transition.kind === 'start') this.onSpeechStarted(transition.ms, detection);
      else this.onSpeechStopped(transition.ms, detection);
    }
  }

  private onSpeechStarted(ms: number, detection: Record<string, unknown>): void {
    this.speechItemId = this.settings.nextId('item');
    this.speechStartedMs = ms;
    this.send({ type: 'input_audio_buffer.speech_started', item_id: this.speechItemId, audio_start_ms: Math.round(ms) });
    // The server's default (`interrupt_response: true`) cancels the response in flight by itself.
    if (detection.interrupt_response !== false && this.active) this.cancelActive('turn_detected');
  }

  private onSpeechStopped(ms: number, detection: Record<string, unknown>): void {
    const itemId = this.speechItemId ?? this.settings.nextId('item');
    this.speechItemId = undefined;
    this.lastSpeechMs = this.speechStartedMs === undefined ? undefined : ms - this.speechStartedMs;
    this.send({ type: 'input_audio_buffer.speech_stopped', item_id: itemId, audio_end_ms: Math.round(ms) });
    this.commitUserAudio(itemId);
    const reply = this.takeTurnReply();
    if (detection.create_response !== false) this.startOrQueue(reply);
    else this.replyQueue.push(reply);
  }

  private onCommit(clientEventId: string | null): void {
    if (this.uncommittedSamples < 100 * FAKE_SAMPLES_PER_MS) {
      return this.error(
        'invalid_request_error',
        'input_audio_buffer_commit_empty',
        `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${(this.uncommittedSamples / FAKE_SAMPLES_PER_MS).toFixed(2)}ms of audio.`,
        clientEventId,
      );
    }
    this.commitUserAudio(this.settings.nextId('item'));
    this.replyQueue.push(this.takeTurnReply());
  }

  private commitUserAudio(itemId: string): void {
    this.committedSamples += this.uncommittedSamples;
    this.uncommittedSamples = 0;
    this.retryScript = undefined;
    const previous = this.lastItemId;
    this.send({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: previous });
    const item: Item = {
      id: itemId,
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    };
    this.addItem(item, previous);
    this.send({ type: 'conversation.item.done', previous_item_id: previous, item: wireItem(item) });
    const transcription = (this.session.audio as { input: { transcription?: unknown } }).input.transcription;
    if (!transcription) return;
    const transcript = this.currentTurnTranscript();
    const delayMs = this.currentTurn()?.transcriptDelayMs ?? this.settings.timing.transcriptDelayMs;
    const deliver = (): void => {
      this.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: transcript });
      this.send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: itemId,
        content_index: 0,
        transcript,
        usage: { type: 'duration', seconds: 1 },
      });
      (item.content as Array<Record<string, unknown>>)[0] = { type: 'input_audio', transcript };
    };
    if (delayMs <= 0) return deliver();
    // The transcriber runs beside the model: its result comes after the commit, usually after response.created.
    const timer = setTimeout(() => {
      this.transcriptTimers.delete(timer);
      if (!this.closed) deliver();
    }, delayMs);
    this.transcriptTimers.add(timer);
  }

  private turnAt(index: number): FakeTurnScript | undefined {
    const turns = this.settings.script.turns ?? [];
    return this.settings.script.loop && turns.length > 0 ? turns[index % turns.length] : turns[index];
  }

  private currentTurn(): FakeTurnScript | undefined {
    return this.turnAt(this.turnIndex);
  }

  private currentTurnTranscript(): string {
    const scripted = this.currentTurn()?.userTranscript ?? '';
    if (scripted !== '' || !this.settings.script.loop || this.lastSpeechMs === undefined) return scripted;
    return `(speech, ${(this.lastSpeechMs / 1000).toFixed(1)} s)`;
  }

  private takeTurnReply(): FakeResponseScript {
    const turn = this.currentTurn();
    this.turnIndex += 1;
    this.userTurns += 1;
    if (!turn) return this.settings.script.fallbackReply ?? DEFAULT_FALLBACK;
    return turn.firstAudioDelayMs === undefined ? turn.reply : { firstAudioDelayMs: turn.firstAudioDelayMs, ...turn.reply };
  }

  private onItemCreate(event: WireEvent, clientEventId: string | null): void {
    const raw = event.item as Record<string, unknown> | undefined;
    if (!raw || typeof raw.type !== 'string') {
      return this.error('invalid_request_error', 'missing_required_parameter', 'Missing required parameter: item', clientEventId);
    }
    const id = typeof raw.id === 'string' ? raw.id : this.settings.nextId('item');
    if (this.items.has(id)) {
      return this.error('invalid_request_error', 'item_already_exists', `Item with id '${id}' already exists.`, clientEventId);
    }
    const previous = typeof event.previous_item_id === 'string' ? event.previous_item_id : this.lastItemId;
    if (raw.type === 'function_call_output') {
      const callId = String(raw.call_id ?? '');
      const item: Item = { id, type: 'function_call_output', status: 'completed', call_id: callId, output: String(raw.output ?? '') };
      this.addItem(item, previous);
      this.send({ type: 'conversation.item.done', previous_item_id: previous, item: wireItem(item) });
      const followUp = this.followUps.get(callId);
      this.followUps.delete(callId);
      if (followUp) this.replyQueue.push(followUp);
      return;
    }
    if (raw.type === 'message') {
      const role = raw.role === 'assistant' || raw.role === 'system' ? raw.role : 'user';
      const content = Array.isArray(raw.content) ? (raw.content as Array<Record<string, unknown>>) : [];
      // The GA content part types per role (`openai` 7 `RealtimeConversationItem*Message`); a text part needs its text.
      const allowed = CONTENT_TYPES[role];
      for (const part of content) {
        if (typeof part.type !== 'string' || !allowed.includes(part.type)) {
          const supported = allowed.map((t) => `'${t}'`).join(', ');
          return this.error('invalid_request_error', 'invalid_value', `Invalid value: '${String(part.type)}'. Supported values are: ${supported}.`, clientEventId, 'item.content[0].type');
        }
        if (part.type.endsWith('_text') && typeof part.text !== 'string') {
          return this.error('invalid_request_error', 'missing_required_parameter', 'Missing required parameter: item.content[0].text', clientEventId, 'item.content[0].text');
        }
      }
      const item: Item = { id, type: 'message', role, status: 'completed', content };
      this.addItem(item, previous);
      this.send({ type: 'conversation.item.done', previous_item_id: previous, item: wireItem(item) });
      // A typed user message (a DTMF notice) is not a spoken turn: it does not consume the script's turns. Several
      // messages before one response.create (a conversation replayed into a new session) get one answer.
      if (role === 'user') {
        this.userTurns += 1;
        if (!this.textReplyQueued) {
          this.textReplyQueued = true;
          this.replyQueue.push(this.settings.script.textReply ?? this.settings.script.fallbackReply ?? DEFAULT_FALLBACK);
        }
      }
      return;
    }
    this.error('invalid_request_error', 'invalid_value', `Unsupported item type: ${raw.type}`, clientEventId);
  }

  private onRetrieve(event: WireEvent, clientEventId: string | null): void {
    const item = typeof event.item_id === 'string' ? this.items.get(event.item_id) : undefined;
    if (!item) return this.itemNotFound(event.item_id, clientEventId);
    this.send({ type: 'conversation.item.retrieved', item: wireItem(item) });
  }

  private onTruncate(event: WireEvent, clientEventId: string | null): void {
    const item = typeof event.item_id === 'string' ? this.items.get(event.item_id) : undefined;
    if (!item) return this.itemNotFound(event.item_id, clientEventId);
    if (item.role !== 'assistant') {
      return this.error('invalid_request_error', 'invalid_value', 'Only assistant messages can be truncated', clientEventId);
    }
    const audioEndMs = event.audio_end_ms;
    if (typeof audioEndMs !== 'number' || !Number.isInteger(audioEndMs) || audioEndMs < 0) {
      return this.error('invalid_request_error', 'invalid_value', 'audio_end_ms must be a non-negative integer', clientEventId);
    }
    if (event.content_index !== 0) {
      return this.error('invalid_request_error', 'invalid_value', 'content_index must refer to an audio part', clientEventId);
    }
    const generatedMs = this.generatedMs(item.id);
    if (!this.generatedSamples.get(item.id)) {
      return this.error('invalid_request_error', 'invalid_value', 'Only model output audio messages can be truncated', clientEventId, 'item_id');
    }
    if (audioEndMs > generatedMs) {
      return this.error(
        'invalid_request_error',
        'invalid_value',
        `Audio content of ${Math.floor(generatedMs)}ms is already shorter than ${audioEndMs}ms`,
        clientEventId,
        'audio_end_ms',
      );
    }
    // The server drops the transcript of truncated audio so the model does not "remember" unheard words.
    const part = item.content?.[0];
    if (part) part.transcript = '';
    this.send({ type: 'conversation.item.truncated', item_id: item.id, content_index: 0, audio_end_ms: audioEndMs });
  }

  private onDelete(event: WireEvent, clientEventId: string | null): void {
    const id = typeof event.item_id === 'string' ? event.item_id : undefined;
    if (!id || !this.items.has(id)) return this.itemNotFound(id, clientEventId);
    this.items.delete(id);
    this.send({ type: 'conversation.item.deleted', item_id: id });
  }

  private onResponseCreate(clientEventId: string | null): void {
    if (this.active) {
      return this.error(
        'invalid_request_error',
        'conversation_already_has_active_response',
        `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
        clientEventId,
      );
    }
    let script = this.replyQueue.shift() ?? this.retryScript;
    this.textReplyQueued = false;
    this.retryScript = undefined;
    if (!script && this.userTurns === 0 && !this.greeted && this.settings.script.greeting) {
      this.greeted = true;
      script = this.settings.script.greeting;
    }
    this.startResponse(script ?? this.settings.script.fallbackReply ?? DEFAULT_FALLBACK);
  }

  private onCancel(clientEventId: string | null): void {
    if (!this.active) {
      return this.error(
        'invalid_request_error',
        'response_cancel_not_active',
        'Cancellation failed: no active response found',
        clientEventId,
      );
    }
    const active = this.active;
    for (let i = 0; i < this.settings.deltasAfterCancel && active.next < active.chunks.length; i++) this.sendDelta(active);
    // A re-asked response answers the same turn again; an injected fault is one-shot, so a retry is not faulted.
    this.retryScript = active.script.fault === undefined ? active.script : undefined;
    this.cancelActive('client_cancelled');
  }

  private startOrQueue(script: FakeResponseScript): void {
    if (this.active) this.pendingAuto.push(script);
    else this.startResponse(script);
  }

  private startResponse(script: FakeResponseScript): void {
    const id = this.settings.nextId('resp');
    const audioOut = (this.session.audio as { output: { format: unknown; voice: unknown } }).output;
    this.send({
      type: 'response.created',
      response: {
        object: 'realtime.response',
        id,
        status: 'in_progress',
        output: [],
        conversation_id: 'conv_fake',
        output_modalities: ['audio'],
        max_output_tokens: 'inf',
        audio: { output: { format: audioOut.format, voice: audioOut.voice } },
        metadata: null,
      },
    });
    if (script.fault === 'fail') return this.failResponse(id);
    if (script.toolCall) return this.streamToolCall(id, script);
    const item: Item = { id: this.settings.nextId('item'), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    const pcm = script.audio ?? tone(script.durationMs ?? DEFAULT_TONE_MS);
    const chunkSamples = Math.max(1, Math.round(this.settings.chunkMs * FAKE_SAMPLES_PER_MS));
    const chunks: Int16Array[] = [];
    for (let i = 0; i < pcm.length; i += chunkSamples) chunks.push(pcm.subarray(i, Math.min(i + chunkSamples, pcm.length)));
    const words = (script.transcript ?? '').split(/(?<=\s)/).filter((w) => w.length > 0);
    const active: ActiveResponse = {
      id,
      script,
      item,
      chunks,
      words,
      next: 0,
      wordsSent: 0,
      transcript: '',
      timer: undefined,
      startedAt: Date.now(),
      firstAudioDelayMs: script.firstAudioDelayMs ?? this.settings.timing.firstAudioDelayMs,
    };
    this.active = active;
    this.send({ type: 'response.output_item.added', response_id: id, output_index: 0, item: wireItem(item) });
    this.addItem(item, this.lastItemId);
    item.content = [{ type: 'output_audio', transcript: '' }];
    this.send({
      type: 'response.content_part.added',
      response_id: id,
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: 'audio', transcript: '' },
    });
    this.generatedSamples.set(item.id, 0);
    // A stalled response stays active and silent: only a cancel (or the socket's end) finishes it.
    if (script.fault === 'stall') return;
    this.scheduleChunk(active);
  }

  /** A response the server gives up on, as the real one reports it: an `error`, then `response.done` failed. */
  private failResponse(id: string): void {
    this.error('server_error', 'server_error', 'The server had an error while processing your request.');
    this.endResponse(id, 'failed', { type: 'failed', error: { type: 'server_error', code: 'server_error' } }, []);
  }

  private scheduleChunk(active: ActiveResponse): void {
    const factor = this.settings.realtimeFactor;
    // Time to first audio, then the audio itself `1 / factor` times faster than real time (the model outruns playback).
    const dueAt = active.startedAt + active.firstAudioDelayMs + active.next * this.settings.chunkMs * factor;
    const delay = factor > 0 || active.firstAudioDelayMs > 0 ? Math.max(0, dueAt - Date.now()) : 0;
    active.timer = setTimeout(() => this.sendChunk(active), delay);
  }

  private sendChunk(active: ActiveResponse): void {
    active.timer = undefined;
    if (this.closed || this.active !== active) return;
    if (active.next < active.chunks.length) {
      this.sendDelta(active);
      if (active.next < active.chunks.length) return this.scheduleChunk(active);
    }
    this.sendTranscriptDeltas(active, active.words.length);
    this.finishActive();
  }

  private sendDelta(active: ActiveResponse): void {
    const chunk = active.chunks[active.next];
    if (chunk) {
      this.audioProduced = true;
      this.generatedSamples.set(active.item.id, (this.generatedSamples.get(active.item.id) ?? 0) + chunk.length);
      this.send({
        type: 'response.output_audio.delta',
        response_id: active.id,
        item_id: active.item.id,
        output_index: 0,
        content_index: 0,
        delta: encodeDeltaAudio(wireFormatOf(this.audioConfig().output?.format), chunk),
      });
      // Spread the words over the chunks so transcript deltas interleave with audio, as the real model's do.
      const wordsDue = Math.ceil(((active.next + 1) * active.words.length) / active.chunks.length);
      this.sendTranscriptDeltas(active, wordsDue);
    }
    active.next += 1;
  }

  private sendTranscriptDeltas(active: ActiveResponse, upTo: number): void {
    while (active.wordsSent < upTo) {
      const word = active.words[active.wordsSent];
      if (word === undefined) return;
      active.wordsSent += 1;
      active.transcript += word;
      this.send({
        type: 'response.output_audio_transcript.delta',
        response_id: active.id,
        item_id: active.item.id,
        output_index: 0,
        content_index: 0,
        delta: word,
      });
    }
  }

  private finishActive(): void {
    const active = this.active;
    if (!active) return;
    const { id, item } = active;
    const base = { response_id: id, item_id: item.id, output_index: 0, content_index: 0 };
    this.send({ type: 'response.output_audio.done', ...base });
    this.send({ type: 'response.output_audio_transcript.done', ...base, transcript: active.transcript });
    this.send({ type: 'response.content_part.done', ...base, part: { type: 'audio', transcript: active.transcript } });
    item.status = 'completed';
    item.content = [{ type: 'output_audio', transcript: active.transcript }];
    this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item: wireItem(item) });
    this.send({ type: 'conversation.item.done', previous_item_id: this.previousOf(item.id), item: wireItem(item) });
    this.endResponse(id, 'completed', null, [wireItem(item)]);
  }

  private cancelActive(reason: 'client_cancelled' | 'turn_detected'): void {
    const active = this.active;
    if (!active) return;
    if (active.timer) clearTimeout(active.timer);
    active.timer = undefined;
    const { id, item } = active;
    item.status = 'incomplete';
    item.content = [{ type: 'output_audio', transcript: active.transcript }];
    this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item: wireItem(item) });
    this.send({ type: 'conversation.item.done', previous_item_id: this.previousOf(item.id), item: wireItem(item) });
    this.endResponse(id, 'cancelled', { type: 'cancelled', reason }, [wireItem(item)]);
  }

  private streamToolCall(responseId: string, script: FakeResponseScript): void {
    const call = script.toolCall;
    if (!call) return;
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    const callId = this.settings.nextId('call');
    const item: Item = { id: this.settings.nextId('item'), type: 'function_call', status: 'in_progress', name: call.name, call_id: callId, arguments: '' };
    this.followUps.set(callId, call.followUp);
    // A tool-call response is short; it is emitted in one go but still counts as in flight until response.done.
    this.active = {
      id: responseId,
      script,
      item,
      chunks: [],
      words: [],
      next: 0,
      wordsSent: 0,
      transcript: '',
      timer: undefined,
      startedAt: Date.now(),
      firstAudioDelayMs: 0,
    };
    this.send({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: wireItem(item) });
    this.addItem(item, this.lastItemId);
    const base = { response_id: responseId, item_id: item.id, output_index: 0, call_id: callId };
    this.send({ type: 'response.function_call_arguments.delta', ...base, delta: args });
    this.send({ type: 'response.function_call_arguments.done', ...base, name: call.name, arguments: args });
    item.status = 'completed';
    item.arguments = args;
    this.send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: wireItem(item) });
    this.send({ type: 'conversation.item.done', previous_item_id: this.previousOf(item.id), item: wireItem(item) });
    this.endResponse(responseId, 'completed', null, [wireItem(item)]);
  }

  private endResponse(id: string, status: string, statusDetails: unknown, output: unknown[]): void {
    this.active = undefined;
    this.send({
      type: 'response.done',
      response: {
        object: 'realtime.response',
        id,
        status,
        status_details: statusDetails,
        output,
        conversation_id: 'conv_fake',
        output_modalities: ['audio'],
        max_output_tokens: 'inf',
        metadata: null,
        usage: this.usageOf(output),

      },
    });
    const next = this.pendingAuto.shift();
    if (next && !this.closed) this.startResponse(next);
  }

  /**
   * `response.usage` as OpenAI bills it: user audio at 1 token per 100 ms and assistant audio at 1 per 50 ms
   * (OpenAI's published rates), instructions at ~4 characters a token, the earlier prompt prefix cached.
   */
  private usageOf(output: unknown[]): Record<string, unknown> {
    const instructions = typeof this.session.instructions === 'string' ? this.session.instructions : '';
    const inputText = Math.ceil(instructions.length / 4);
    const cachedText = Math.min(inputText, this.previousInputTextTokens);
    this.previousInputTextTokens = inputText;
    const inputAudio = Math.ceil(this.committedSamples / FAKE_SAMPLES_PER_MS / 100);
    let outputAudioMs = 0;
    let outputText = 0;
    for (const item of output) {
      const id = (item as { id?: unknown }).id;
      if (typeof id === 'string') outputAudioMs += (this.generatedSamples.get(id) ?? 0) / FAKE_SAMPLES_PER_MS;
      const content = (item as { content?: { transcript?: unknown }[] }).content ?? [];
      for (const part of content) if (typeof part.transcript === 'string') outputText += Math.ceil(part.transcript.length / 4);
    }
    const outputAudio = Math.ceil(outputAudioMs / 50);
    return {
      total_tokens: inputText + inputAudio + outputText + outputAudio,
      input_tokens: inputText + inputAudio,
      output_tokens: outputText + outputAudio,
      input_token_details: {
        text_tokens: inputText,
        audio_tokens: inputAudio,
        image_tokens: 0,
        cached_tokens: cachedText,
        cached_tokens_details: { text_tokens: cachedText, audio_tokens: 0, image_tokens: 0 },
      },
      output_token_details: { text_tokens: outputText, audio_tokens: outputAudio },
    };
  }

  private addItem(item: Item, previous: string | null): void {
    this.items.set(item.id, item);
    this.lastItemId = item.id;
    this.send({ type: 'conversation.item.added', previous_item_id: previous, item: wireItem(item) });
  }

  private previousOf(itemId: string): string | null {
    let previous: string | null = null;
    for (const id of this.items.keys()) {
      if (id === itemId) return previous;
      previous = id;
    }
    return previous;
  }

  private turnDetection(): Record<string, unknown> | null {
    const input = (this.session.audio as { input: { turn_detection?: unknown } }).input;
    const detection = input.turn_detection;
    return detection && typeof detection === 'object' ? (detection as Record<string, unknown>) : null;
  }

  private snapshot(): Record<string, unknown> {
    return structuredClone(this.session);
  }

  private itemNotFound(itemId: unknown, clientEventId: string | null): void {
    this.error('invalid_request_error', 'item_not_found', `Item with item_id not found: ${String(itemId)}`, clientEventId);
  }

  private error(type: string, code: string, message: string, clientEventId: string | null = null, param: string | null = null): void {
    this.send({ type: 'error', error: { type, code, message, param, event_id: clientEventId } });
  }

  private send(event: WireEvent): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    const full = { event_id: this.settings.nextId('event'), ...event };
    this.settings.onServerEvent(full);
    this.socket.send(JSON.stringify(full));
  }
}

/** Content part types a client may create, by message role. */
const CONTENT_TYPES: Readonly<Record<'user' | 'assistant' | 'system', readonly string[]>> = {
  user: ['input_text', 'input_audio', 'input_image'],
  assistant: ['output_text', 'output_audio'],
  system: ['input_text'],
};

function wireItem(item: Item): Record<string, unknown> {
  const base: Record<string, unknown> = { id: item.id, object: 'realtime.item', type: item.type, status: item.status };
  if (item.type === 'message') return { ...base, role: item.role, content: structuredClone(item.content ?? []) };
  if (item.type === 'function_call') return { ...base, name: item.name, call_id: item.call_id, arguments: item.arguments ?? '' };
  return { ...base, call_id: item.call_id, output: item.output ?? '' };
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
