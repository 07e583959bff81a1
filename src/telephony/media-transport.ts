/**
 * `TwilioMediaTransport`: one call's bidirectional Twilio media stream after the handshake, as the carrier-agnostic
 * seams the service needs. Inbound `media` frames become PCM16 chunks at the service's rate (`inboundAudio()`:
 * 8 kHz with no resampling when the Realtime wire is `pcmu`, 24 kHz through the upsampler when it is `pcm16`);
 * outbound PCM16 at that rate (`sendAudio`) becomes μ-law `media` messages, each followed by a mark that reports
 * playback when echoed.
 * Nothing here throws into the socket loop: bad input is logged (rate-limited) and dropped.
 */
import { DEFAULT_REALTIME_AUDIO_FORMAT, serviceSamplesPerMs, type RealtimeAudioFormatName } from '../audio/audio-format.js';
import { createCarrierResamplers } from '../audio/carrier-resamplers.js';
import { MULAW_BYTES_PER_MS } from '../audio/constants.js';
import type { StreamResampler } from '../audio/stream-resampler.js';
import type { Logger } from '../logger.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import type { AudioSink, PlaybackItemState } from '../service/playback.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { InboundAudioDecoder } from './inbound-audio-decoder.js';
import { InboundAudioQueue } from './inbound-audio-queue.js';
import { formatMarkName, parseMarkName } from './mark-name.js';
import { MarkRoundTrip } from './mark-round-trip.js';
import type { MediaSocket } from './media-socket.js';
import { emptyMediaTransportStats } from './media-transport-stats.js';
import { OutboundAudioEncoder } from './outbound-audio-encoder.js';
import { PlaybackTracker } from './playback-tracker.js';
import { TransportEventEmitter, type MediaTransportEvents, type MediaTransportListener } from './transport-events.js';
import type { TwilioEvent } from './twilio-events.js';
import { formatClearMessage, formatMarkMessage, formatMediaMessage, parseTwilioMessage } from './twilio-serializer.js';

/**
 * Outbound chunk length. 80 ms: four times fewer messages than 20 ms frames (many tiny messages were reported to
 * stutter), marks every 80 ms keep the confirmed position finer than a syllable, and the first audio of a reply
 * waits at most the flush delay, not a whole chunk.
 */
export const OUTBOUND_CHUNK_MS = 80;

/**
 * A partial chunk is sent after this long without more audio, so the end of a phrase is never held back. While
 * Twilio still has plenty queued, the partial waits longer (until that queue runs low): the next delta usually
 * completes it first, which halves the messages of a steadily streamed reply. Item ends flush it at once.
 */
export const OUTBOUND_FLUSH_DELAY_MS = 40;

/** Audio queued at Twilio beyond this is dropped with a warning (Twilio itself drops beyond 10 minutes). */
export const MAX_QUEUED_OUTBOUND_MS = 5 * 60 * 1000;

/** Inbound chunks held for a lagging consumer before the oldest is dropped (50 frames = 1 s of live audio). */
export const INBOUND_QUEUE_CHUNKS = 50;

/** Largest inbound chunk (100 ms at the service's rate); silence that fills a gap arrives in pieces this long. */
export const INBOUND_MAX_CHUNK_MS = 100;

/** WebSocket close code for a normal closure (RFC 6455). */
const CLOSE_NORMAL = 1000;

/** Options for `TwilioMediaTransport`. */
export interface TwilioMediaTransportOptions {
  readonly socket: MediaSocket;
  readonly streamSid: string;
  /** Child logger bound with `{ callSid, streamSid }`. */
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The Realtime wire format, which sets the service's PCM rate (8 kHz for `pcmu`, 24 kHz for `pcm16`); default `pcmu`. */
  readonly audioFormat?: RealtimeAudioFormatName;
  /** This call's own converters carrier ↔ service; created for `audioFormat` when omitted (never share between calls). */
  readonly upsampler?: StreamResampler;
  readonly downsampler?: StreamResampler;
  readonly outboundChunkMs?: number;
  readonly outboundFlushDelayMs?: number;
  readonly maxQueuedOutboundMs?: number;
  readonly inboundQueueChunks?: number;
}

/** Counters of what was dropped or ignored, for logs and tests. */
export interface MediaTransportStats {
  readonly inboundFrames: number;
  readonly malformedMessages: number;
  readonly foreignStreamMessages: number;
  readonly droppedInboundChunks: number;
  readonly silenceFilledMs: number;
  /** Silence timestamp gaps asked for but not produced: beyond the wall-clock time received, or over 1 s at once. */
  readonly silenceRefusedMs: number;
  readonly staleMarkEchoes: number;
  readonly droppedOutboundMs: number;
  readonly sentMediaMessages: number;
}

/** One call's Twilio media stream as an `AudioSink`, an inbound PCM stream and typed control events. */
export class TwilioMediaTransport implements AudioSink {
  /** Twilio's id of this stream; every message we send carries it. */
  readonly streamSid: string;
  readonly #socket: MediaSocket;
  readonly #logger: Logger;
  /** Every line the peer can trigger per frame goes through here: a few in full, then periodic counts. */
  readonly #peerLog: RateLimitedLog;
  readonly #clock: Clock;
  readonly #events: TransportEventEmitter;
  readonly #queue: InboundAudioQueue;
  readonly #decoder: InboundAudioDecoder;
  readonly #encoder: OutboundAudioEncoder;
  readonly #tracker = new PlaybackTracker();
  readonly #markRoundTrip = new MarkRoundTrip();
  readonly #flushDelayMs: number;
  readonly #chunkMs: number;
  readonly #maxQueuedMs: number;
  /** PCM16 samples per millisecond of the service's audio. */
  readonly #samplesPerMs: number;
  /** Item whose audio the encoder is cutting into chunks. */
  #currentItem: string | undefined;
  #flushTimer: TimerHandle | undefined;
  #stopped = false;
  #closed = false;
  #lastMessageAt: number;
  #closeRequested = false;
  #stats = emptyMediaTransportStats();

  constructor(options: TwilioMediaTransportOptions) {
    this.streamSid = options.streamSid;
    this.#socket = options.socket;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#peerLog = new RateLimitedLog({ logger: options.logger, clock: this.#clock });
    this.#lastMessageAt = this.#clock.now();
    this.#events = new TransportEventEmitter(options.logger);
    this.#flushDelayMs = options.outboundFlushDelayMs ?? OUTBOUND_FLUSH_DELAY_MS;
    this.#chunkMs = options.outboundChunkMs ?? OUTBOUND_CHUNK_MS;
    this.#maxQueuedMs = options.maxQueuedOutboundMs ?? MAX_QUEUED_OUTBOUND_MS;
    const format = options.audioFormat ?? DEFAULT_REALTIME_AUDIO_FORMAT;
    this.#samplesPerMs = serviceSamplesPerMs(format);
    const maxChunkSamples = INBOUND_MAX_CHUNK_MS * this.#samplesPerMs;
    const resamplers = options.upsampler && options.downsampler ? undefined : createCarrierResamplers(format);
    this.#queue = new InboundAudioQueue({
      capacityChunks: options.inboundQueueChunks ?? INBOUND_QUEUE_CHUNKS,
      maxChunkSamples,
      // Frames that queued up behind a stall go out as one append (one system call), never later than alone.
      mergeSamples: maxChunkSamples,
    });
    this.#decoder = new InboundAudioDecoder({
      upsampler: options.upsampler ?? (resamplers as NonNullable<typeof resamplers>).upsampler,
      onPcm: (pcm) => this.#enqueueInbound(pcm),
      now: () => this.#clock.now(),
    });
    this.#encoder = new OutboundAudioEncoder({
      downsampler: options.downsampler ?? (resamplers as NonNullable<typeof resamplers>).downsampler,
      chunkMs: this.#chunkMs,
      onChunk: (mulaw) => this.#sendChunk(mulaw),
    });
    this.#socket.on('message', this.#onMessage);
    this.#socket.on('close', this.#onClose);
  }

  /** Caller audio as PCM16 mono at the service's rate; each chunk stays valid until the next is requested. Ends with the stream. */
  inboundAudio(): AsyncIterable<Int16Array> {
    return this.#queue;
  }

  /** Subscribes to a transport event; returns the unsubscribe function. */
  on<K extends keyof MediaTransportEvents>(event: K, listener: MediaTransportListener<K>): () => void {
    return this.#events.on(event, listener);
  }

  /** Snapshot of the drop and traffic counters. */
  stats(): MediaTransportStats {
    return { ...this.#stats, droppedInboundChunks: this.#queue.droppedChunks };
  }

  /** Clock time of the latest message from Twilio (construction time before the first): the media watchdog reads it. */
  get lastMessageAt(): number {
    return this.#lastMessageAt;
  }

  /** True once Twilio sent `stop` or the socket closed: outbound audio is dropped from then on. */
  get ended(): boolean {
    return this.#stopped || this.#closed || this.#closeRequested;
  }

  /** Queues assistant audio (PCM16 mono at the service's rate) of `itemId` for the caller. */
  sendAudio(itemId: string, pcm: Int16Array): void {
    if (this.ended || pcm.length === 0) return;
    const incomingMs = pcm.length / this.#samplesPerMs;
    const queuedMs = this.#tracker.queuedMs() + this.#encoder.pendingBytes / MULAW_BYTES_PER_MS;
    if (queuedMs + incomingMs > this.#maxQueuedMs) {
      this.#stats.droppedOutboundMs += incomingMs;
      this.#peerLog.warn({ queuedMs, droppedOutboundMs: this.#stats.droppedOutboundMs }, 'outbound audio queue full; audio dropped');
      return;
    }
    if (this.#currentItem !== undefined && this.#currentItem !== itemId) this.endItem(this.#currentItem);
    this.#currentItem = itemId;
    this.#encoder.write(pcm);
    // Debounced: the partial chunk goes out once the audio pauses, not in the middle of a steady stream.
    this.#cancelFlush();
    if (this.#encoder.pendingBytes > 0) this.#armFlush();
  }

  /** Marks the end of `itemId`'s audio: the resampler tail and any partial chunk are sent now. */
  endItem(itemId: string): void {
    if (this.#currentItem !== itemId) return;
    this.#cancelFlush();
    if (!this.ended) this.#encoder.finish();
    else this.#encoder.discard();
    this.#currentItem = undefined;
  }

  /** True while audio handed to Twilio is not yet confirmed played. */
  isAudible(): boolean {
    return this.#tracker.isAudible();
  }

  /** Items with audio not yet confirmed fully played, oldest first. */
  pending(): PlaybackItemState[] {
    return this.#tracker.pending(this.#clock.now());
  }

  /** Milliseconds of an item Twilio confirmed played (mark echoes only). */
  confirmedPlayedMs(itemId: string): number {
    return this.#tracker.confirmedMs(itemId);
  }

  /** Sends `clear`, bumps the mark generation and returns each pending item's state at this instant. */
  clear(): PlaybackItemState[] {
    this.#cancelFlush();
    this.#encoder.discard();
    this.#currentItem = undefined;
    const states = this.#tracker.clear(this.#clock.now());
    if (!this.ended) this.#socket.send(formatClearMessage(this.streamSid));
    return states;
  }

  /** Closes the socket, so Twilio continues with the `<Connect action>` document. Idempotent. */
  close(reason = 'call ended'): void {
    if (this.#closeRequested || this.#closed) return;
    this.#closeRequested = true;
    this.#cancelFlush();
    this.#queue.end();
    this.#socket.close(CLOSE_NORMAL, reason);
  }

  readonly #onMessage = (text: string): void => {
    this.#lastMessageAt = this.#clock.now();
    let event: TwilioEvent | undefined;
    try {
      event = parseTwilioMessage(text);
    } catch (error) {
      this.#peerLog.log('error', { err: error }, 'twilio message parser failed');
    }
    if (!event) {
      this.#stats.malformedMessages += 1;
      this.#peerLog.warn({ malformedMessages: this.#stats.malformedMessages, bytes: text.length }, 'malformed twilio message dropped');
      return;
    }
    try {
      this.#handle(event);
    } catch (error) {
      // A bug in handling one message must not end the call; the next frame gets a fresh chance.
      this.#peerLog.log('error', { err: error, event: event.type }, 'twilio message handling failed');
    }
  };

  #handle(event: TwilioEvent): void {
    if (event.type !== 'connected' && event.streamSid !== this.streamSid) {
      this.#stats.foreignStreamMessages += 1;
      this.#peerLog.warn({ foreignStreamMessages: this.#stats.foreignStreamMessages, event: event.type }, 'message for another stream dropped');
      return;
    }
    switch (event.type) {
      case 'media':
        this.#onMedia(event.payload, event.timestampMs);
        return;
      case 'mark':
        this.#onMarkEcho(event.name);
        return;
      case 'dtmf':
        this.#peerLog.info({ digit: event.digit }, 'dtmf received');
        this.#events.emit('dtmf', { digit: event.digit });
        return;
      case 'stop':
        this.#onStop(event.callSid);
        return;
      case 'connected':
      case 'start':
        this.#peerLog.warn({ event: event.type }, 'handshake message after start ignored');
        return;
    }
  }

  #onMedia(payload: string, timestampMs: number): void {
    if (this.#stopped) return;
    this.#stats.inboundFrames += 1;
    const outcome = this.#decoder.decode(payload, timestampMs);
    switch (outcome.kind) {
      case 'decoded':
        if (outcome.filledMs > 0) {
          this.#stats.silenceFilledMs += outcome.filledMs;
          this.#peerLog.debug({ filledMs: outcome.filledMs, timestampMs }, 'inbound gap filled with silence');
        }
        if (outcome.unfilledMs > 0) {
          this.#stats.silenceRefusedMs += outcome.unfilledMs;
          this.#peerLog.warn({ unfilledMs: outcome.unfilledMs, silenceRefusedMs: this.#stats.silenceRefusedMs }, 'inbound timestamp gap not filled');
        }
        return;
      case 'too-large':
      case 'empty':
        this.#stats.malformedMessages += 1;
        this.#peerLog.warn({ kind: outcome.kind, malformedMessages: this.#stats.malformedMessages }, 'inbound media frame dropped');
        return;
    }
  }

  #enqueueInbound(pcm: Int16Array): void {
    if (this.#queue.push(pcm) > 0) {
      this.#peerLog.warn({ droppedInboundChunks: this.#queue.droppedChunks }, 'inbound audio consumer lagging; oldest audio dropped');
    }
  }

  #onMarkEcho(name: string): void {
    const now = this.#clock.now();
    const position = parseMarkName(name);
    if (!position) {
      this.#events.emit('mark', { name, roundTripMs: undefined, stale: false });
      this.#peerLog.warn({}, 'unrecognized mark echo ignored');
      return;
    }
    const roundTripMs = this.#markRoundTrip.echoed(now);
    const outcome = this.#tracker.recordEcho(position, now);
    if (outcome === 'stale') this.#stats.staleMarkEchoes += 1;
    this.#events.emit('mark', { name, roundTripMs, stale: outcome === 'stale' });
  }

  #onStop(callSid: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelFlush();
    this.#queue.end();
    this.#logger.info({ inboundFrames: this.#stats.inboundFrames }, 'media stream stopped');
    this.#events.emit('stop', { callSid });
  }

  readonly #onClose = (code: number): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelFlush();
    this.#queue.end();
    this.#socket.off('message', this.#onMessage);
    this.#socket.off('close', this.#onClose);
    const reason = this.#closeRequested ? 'local' : 'remote';
    this.#peerLog.flush();
    this.#logger.info({ code, reason, stats: this.stats() }, 'media socket closed');
    this.#events.emit('closed', { reason, code });
    this.#events.removeAll();
  };

  #sendChunk(mulaw: Uint8Array): void {
    const itemId = this.#currentItem;
    if (itemId === undefined || this.ended) return;
    const payload = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
    const endMs = this.#tracker.recordSent(itemId, mulaw.length / MULAW_BYTES_PER_MS, this.#clock.now());
    const name = formatMarkName({ generation: this.#tracker.generation, itemId, endMs });
    this.#socket.sendAll([formatMediaMessage(this.streamSid, payload), formatMarkMessage(this.streamSid, name)]);
    this.#markRoundTrip.sent(this.#clock.now());
    this.#stats.sentMediaMessages += 1;
  }

  #armFlush(): void {
    if (this.#flushTimer !== undefined) return;
    // Confirmed playback lags the truth by up to one chunk, so keep two chunks of margin before Twilio runs dry.
    const runsLowInMs = this.#tracker.queuedMs() - 2 * this.#chunkMs;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      if (!this.ended) this.#encoder.flushPartial();
    }, Math.max(this.#flushDelayMs, runsLowInMs));
  }

  #cancelFlush(): void {
    if (this.#flushTimer === undefined) return;
    this.#clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }
}
