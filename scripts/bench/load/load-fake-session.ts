/**
 * One Realtime session of the load fake: the GA events the Agents SDK needs (same shapes as the faithful fake in
 * `fakes/realtime/`), driven by a fixed conversation clock instead of VAD so every call does the same work:
 * every `CYCLE_MS` of caller audio a turn (speech started/stopped, commit, transcript) and a `RESPONSE_MS` reply
 * streamed in `DELTA_MS` deltas at twice real time; every other reply is interrupted by the caller `BARGE_AFTER_MS`
 * into it. It keeps only timestamps (no event log), so hundreds of sessions run for minutes in bounded memory.
 * Answers `audio/pcm` (24 kHz) and `audio/pcmu` sessions (the official bridge's μ-law passthrough).
 */
import type { WebSocket } from 'ws';
import { muLawEncode } from '../../../src/audio/mulaw.js';
import { decodeCallTagMuLaw, decodeCallTagPcm24k, TAG_FRAMES } from './call-tag.js';
import { epochMs, type FakeResponseRecord, type FakeSessionRecord } from './records.js';
import { initialSession } from '../../../fakes/realtime/fake-connection.js';

/** Caller audio per scripted turn. */
export const CYCLE_MS = 4000;
/** Caller audio before the first turn. */
export const FIRST_TURN_MS = 1000;
/** The caller's turn lasts this long before the reply starts. */
export const TURN_SPEECH_MS = 600;
/** Length of each reply. */
export const RESPONSE_MS = 2400;
/** Audio per `response.output_audio.delta`. */
export const DELTA_MS = 100;
/** Real time between deltas: half their length, as the real service streams faster than it plays. */
export const DELTA_INTERVAL_MS = 50;
/** On interrupted turns, the caller starts talking this far into the reply. */
export const BARGE_AFTER_MS = 900;

const TONE_HZ = 440;
const REMEMBERED_ITEMS = 16;
const TONE_AMPLITUDE = 8000;

function tone(sampleRateHz: number, ms: number): Int16Array {
  const n = Math.round((sampleRateHz * ms) / 1000);
  return Int16Array.from({ length: n }, (_, i) => Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * i) / sampleRateHz)));
}

/** One delta of reply audio in each format, encoded once for every session. */
const PCM_DELTA = Buffer.from(tone(24_000, DELTA_MS).buffer).toString('base64');
const PCMU_DELTA = Buffer.from(muLawEncode(tone(8000, DELTA_MS))).toString('base64');
const DELTA_SAMPLES_8K = DELTA_MS * 8;

type Json = Record<string, unknown>;

interface Active {
  readonly id: string;
  readonly itemId: string;
  readonly record: FakeResponseRecord & { deltaTimes: number[]; deltaEnds: number[]; cancelled: boolean };
  sent: number;
  timer: NodeJS.Timeout | undefined;
  readonly startedAt: number;
}

/** Bytes of one 20 ms caller frame as appended: PCM16 24 kHz (ours) and μ-law 8 kHz (the official passthrough). */
const PCM_FRAME_BYTES = 960;
const PCMU_FRAME_BYTES = 160;

/** Shared id source, so ids are unique across the fake's sessions. */
export interface IdSource {
  next(prefix: string): string;
}

/** One session; `record` is what the bench reads after the rung. */
export class LoadFakeSession {
  readonly record: FakeSessionRecord & { callId: number | undefined; firstFrame: number | undefined; format: 'pcm' | 'pcmu' };
  /** Reading tags until the first untagged append after a tagged one. */
  #tagPhase = true;
  /** Recent items, for `conversation.item.retrieve` (the SDK retrieves items it saw; older ones are never asked for). */
  readonly #items = new Map<string, Json>();
  readonly #socket: WebSocket;
  readonly #ids: IdSource;
  readonly #session: Json;
  #appendedMs = 0;
  #appendedBytes = 0;
  #nextTurnAtMs = FIRST_TURN_MS;
  #turn = 0;
  #lastItem: string | null = null;
  #active: Active | undefined;
  #pending: (() => void)[] = [];
  #closed = false;

  constructor(socket: WebSocket, ids: IdSource) {
    this.#socket = socket;
    this.#ids = ids;
    this.record = { callId: undefined, firstFrame: undefined, format: 'pcm', appendTimes: [], responses: [], bargeTimes: [], errors: {} };
    this.#session = initialSession(ids.next('sess'));
    socket.on('message', (data, isBinary) => this.#onMessage(isBinary ? '' : data.toString()));
    socket.on('close', () => this.dispose());
    this.#send({ type: 'session.created', session: this.#session });
  }

  /** Stops the reply timer; called when the socket closes. */
  dispose(): void {
    this.#closed = true;
    if (this.#active?.timer) clearTimeout(this.#active.timer);
    this.#active = undefined;
    this.#pending = [];
  }

  #onMessage(text: string): void {
    let event: Json;
    try {
      event = JSON.parse(text) as Json;
    } catch {
      return this.#error('invalid_json', 'The server could not parse the event as JSON');
    }
    switch (event.type) {
      case 'input_audio_buffer.append':
        return this.#onAppend(event);
      case 'session.update':
        return this.#onSessionUpdate(event);
      case 'response.create':
        if (this.#active) return this.#error('conversation_already_has_active_response', 'Conversation already has an active response in progress.');
        return this.#startResponse();
      case 'response.cancel':
        if (!this.#active) return this.#error('response_cancel_not_active', 'Cancellation failed: no active response found');
        return this.#cancel();
      case 'conversation.item.truncate':
        return this.#send({ type: 'conversation.item.truncated', item_id: event.item_id, content_index: event.content_index ?? 0, audio_end_ms: event.audio_end_ms });
      case 'conversation.item.retrieve': {
        const item = typeof event.item_id === 'string' ? this.#items.get(event.item_id) : undefined;
        if (!item) return this.#error('item_not_found', 'Item with item_id not found');
        return this.#send({ type: 'conversation.item.retrieved', item });
      }
      case 'conversation.item.create':
      case 'input_audio_buffer.commit':
      case 'input_audio_buffer.clear':
        return;
      default:
        return this.#error('invalid_event', `Unknown event type: ${String(event.type)}`);
    }
  }

  #onSessionUpdate(event: Json): void {
    const update = (event.session ?? {}) as Json;
    const audio = this.#session.audio as { input: Json; output: Json };
    const next = (update.audio ?? {}) as { input?: Json; output?: Json };
    for (const [key, value] of Object.entries(update)) if (key !== 'audio' && value !== undefined) this.#session[key] = value;
    if (next.input) audio.input = { ...audio.input, ...next.input };
    if (next.output) audio.output = { ...audio.output, ...next.output };
    const format = audio.input.format as { type?: unknown } | string | undefined;
    const type = typeof format === 'string' ? format : format?.type;
    this.record.format = type === 'audio/pcmu' || type === 'g711_ulaw' ? 'pcmu' : 'pcm';
    this.#send({ type: 'session.updated', session: this.#session });
  }

  #onAppend(event: Json): void {
    const now = epochMs();
    const audio = typeof event.audio === 'string' ? event.audio : '';
    // Base64 length gives the byte count without decoding the audio.
    const bytes = (audio.length * 3) / 4 - (audio.endsWith('==') ? 2 : audio.endsWith('=') ? 1 : 0);
    const frameBytes = this.record.format === 'pcmu' ? PCMU_FRAME_BYTES : PCM_FRAME_BYTES;
    const framesBefore = Math.floor(this.#appendedBytes / frameBytes);
    const offsetInFrame = this.#appendedBytes - framesBefore * frameBytes;
    this.#appendedBytes += bytes;
    const framesAfter = Math.floor(this.#appendedBytes / frameBytes);
    if (this.#tagPhase) {
      // Tags sit at 20 ms frame boundaries of the stream, whether a bridge appends frame by frame or several at once.
      const decoded = Buffer.from(audio, 'base64');
      const firstWhole = offsetInFrame === 0 ? 0 : frameBytes - offsetInFrame;
      for (let start = firstWhole, frame = framesBefore + (offsetInFrame === 0 ? 0 : 1); start + frameBytes <= decoded.length && this.#tagPhase; start += frameBytes, frame++) {
        this.#readTag(decoded.subarray(start, start + frameBytes), frame);
      }
    }
    // One arrival time per 20 ms of caller audio: frame k of the call is entry k, however the appends were cut.
    const times = this.record.appendTimes;
    for (let frame = framesBefore; frame < framesAfter; frame++) times.push(now);
    this.#appendedMs += this.record.format === 'pcmu' ? bytes / 8 : bytes / 48;
    while (this.#appendedMs >= this.#nextTurnAtMs) this.#scriptedTurn();
  }

  #readTag(bytes: Buffer, frame: number): void {
    const id =
      this.record.format === 'pcmu'
        ? decodeCallTagMuLaw(bytes)
        : decodeCallTagPcm24k(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    if (id !== undefined) {
      this.record.callId = id;
      this.record.firstFrame = TAG_FRAMES - 1 - frame;
    } else if (this.record.callId !== undefined) {
      this.#tagPhase = false;
    }
  }

  /** Runs the caller turn due now; the reply and any barge-in follow on timers in caller audio time. */
  #scriptedTurn(): void {
    const at = this.#nextTurnAtMs;
    this.#nextTurnAtMs += CYCLE_MS;
    const barge = this.#turn % 2 === 1;
    this.#turn += 1;
    const itemId = this.#ids.next('item');
    this.#send({ type: 'input_audio_buffer.speech_started', item_id: itemId, audio_start_ms: Math.round(at) });
    if (this.#interruptsByItself()) this.#cancel();
    this.#after(TURN_SPEECH_MS, () => {
      this.#userTurnDone(itemId, at + TURN_SPEECH_MS);
      if (!this.#active) this.#startResponse();
      if (barge) this.#after(BARGE_AFTER_MS, () => this.#bargeIn(at + TURN_SPEECH_MS + BARGE_AFTER_MS));
    });
  }

  #bargeIn(atMs: number): void {
    const itemId = this.#ids.next('item');
    this.record.bargeTimes.push(epochMs());
    this.#send({ type: 'input_audio_buffer.speech_started', item_id: itemId, audio_start_ms: Math.round(atMs) });
    if (this.#interruptsByItself()) this.#cancel();
    this.#after(TURN_SPEECH_MS, () => this.#userTurnDone(itemId, atMs + TURN_SPEECH_MS));
  }

  #interruptsByItself(): boolean {
    const detection = (this.#session.audio as { input: { turn_detection?: { interrupt_response?: unknown } | null } }).input.turn_detection;
    return detection?.interrupt_response !== false;
  }

  #userTurnDone(itemId: string, atMs: number): void {
    this.#send({ type: 'input_audio_buffer.speech_stopped', item_id: itemId, audio_end_ms: Math.round(atMs) });
    const previous = this.#lastItem;
    this.#send({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: previous });
    const item = { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
    this.#lastItem = itemId;
    this.#remember(item);
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
    if ((this.#session.audio as { input: { transcription?: unknown } }).input.transcription) {
      const transcript = 'I would like to check my bill please';
      this.#send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript, usage: { type: 'duration', seconds: 1 } });
    }
  }

  /** Runs `fn` after `ms` (real time, which equals caller audio time while frames flow at 20 ms). */
  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#pending = this.#pending.filter((f) => f !== fn);
      if (!this.#closed) fn();
    }, ms);
    timer.unref();
    this.#pending.push(fn);
  }

  #startResponse(): void {
    const id = this.#ids.next('resp');
    const itemId = this.#ids.next('item');
    const out = (this.#session.audio as { output: Json }).output;
    this.#send({ type: 'response.created', response: this.#response(id, 'in_progress', null, [], out) });
    const item = { id: itemId, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] as Json[] };
    this.#send({ type: 'response.output_item.added', response_id: id, output_index: 0, item });
    this.#send({ type: 'conversation.item.added', previous_item_id: this.#lastItem, item });
    this.#lastItem = itemId;
    this.#send({ type: 'response.content_part.added', response_id: id, item_id: itemId, output_index: 0, content_index: 0, part: { type: 'audio', transcript: '' } });
    const record = { deltaTimes: [] as number[], deltaEnds: [] as number[], cancelled: false };
    this.record.responses.push(record);
    const active: Active = { id, itemId, record, sent: 0, timer: undefined, startedAt: performance.now() };
    this.#active = active;
    this.#scheduleDelta(active);
  }

  #scheduleDelta(active: Active): void {
    const due = active.startedAt + active.sent * DELTA_INTERVAL_MS;
    active.timer = setTimeout(() => this.#sendDelta(active), Math.max(0, due - performance.now()));
  }

  #sendDelta(active: Active): void {
    active.timer = undefined;
    if (this.#closed || this.#active !== active) return;
    const delta = this.record.format === 'pcmu' ? PCMU_DELTA : PCM_DELTA;
    this.#send({ type: 'response.output_audio.delta', response_id: active.id, item_id: active.itemId, output_index: 0, content_index: 0, delta });
    active.sent += 1;
    active.record.deltaTimes.push(epochMs());
    active.record.deltaEnds.push(active.sent * DELTA_SAMPLES_8K);
    if (active.sent * DELTA_MS < RESPONSE_MS) return this.#scheduleDelta(active);
    this.#finish(active, 'completed');
  }

  #cancel(): void {
    const active = this.#active;
    if (!active) return;
    if (active.timer) clearTimeout(active.timer);
    active.record.cancelled = true;
    this.#finish(active, 'cancelled');
  }

  #finish(active: Active, status: 'completed' | 'cancelled'): void {
    const base = { response_id: active.id, item_id: active.itemId, output_index: 0, content_index: 0 };
    const transcript = 'Let me look that up for you.';
    if (status === 'completed') {
      this.#send({ type: 'response.output_audio.done', ...base });
      this.#send({ type: 'response.output_audio_transcript.done', ...base, transcript });
      this.#send({ type: 'response.content_part.done', ...base, part: { type: 'audio', transcript } });
    }
    const item = {
      id: active.itemId,
      object: 'realtime.item',
      type: 'message',
      status: status === 'completed' ? 'completed' : 'incomplete',
      role: 'assistant',
      content: [{ type: 'output_audio', transcript }],
    };
    this.#remember(item);
    this.#send({ type: 'response.output_item.done', response_id: active.id, output_index: 0, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: null, item });
    this.#active = undefined;
    const details = status === 'cancelled' ? { type: 'cancelled', reason: 'turn_detected' } : null;
    this.#send({ type: 'response.done', response: this.#response(active.id, status, details, [item], (this.#session.audio as { output: Json }).output) });
  }

  #response(id: string, status: string, details: unknown, output: unknown[], out: Json): Json {
    return {
      object: 'realtime.response',
      id,
      status,
      status_details: details,
      output,
      conversation_id: 'conv_load',
      output_modalities: ['audio'],
      max_output_tokens: 'inf',
      audio: { output: { format: out.format, voice: out.voice } },
      metadata: null,
      usage:
        status === 'in_progress'
          ? null
          : {
              total_tokens: 0,
              input_tokens: 0,
              output_tokens: 0,
              input_token_details: { text_tokens: 0, audio_tokens: 0, cached_tokens: 0 },
              output_token_details: { text_tokens: 0, audio_tokens: 0 },
            },
    };
  }

  #remember(item: Json & { id: string }): void {
    this.#items.set(item.id, item);
    if (this.#items.size > REMEMBERED_ITEMS) this.#items.delete(this.#items.keys().next().value as string);
  }

  #error(code: string, message: string): void {
    this.record.errors[code] = (this.record.errors[code] ?? 0) + 1;
    this.#send({ type: 'error', error: { type: 'invalid_request_error', code, message, param: null, event_id: null } });
  }

  #send(event: Json): void {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(JSON.stringify({ event_id: this.#ids.next('event'), ...event }));
  }
}
