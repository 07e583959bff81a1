/**
 * Hand-written fakes for the Twilio edge tests: a clock driven by hand, a media socket that records what is sent,
 * a logger that keeps its lines, and an independent Twilio signature (node:crypto, not the twilio library).
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';
import type { Clock, TimerHandle } from '../../src/telephony/clock.js';
import type { CloseListener, MediaSocket, MessageListener } from '../../src/telephony/media-socket.js';

/** A clock that only moves when told; timers fire in due order during `advance`. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { dueMs: number; callback: () => void }>();

  constructor(startMs = 1_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { dueMs: this.#now + delayMs, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { dueMs: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].dueMs <= target && (!next || entry[1].dueMs < next[1].dueMs)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].dueMs;
      next[1].callback();
    }
    this.#now = target;
  }
}

/** A media socket that records sent frames and closes, and lets the test play Twilio's side. */
export class FakeMediaSocket implements MediaSocket {
  readonly sent: string[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  readonly #message = new Set<MessageListener>();
  readonly #close = new Set<CloseListener>();
  #open = true;

  send(text: string): void {
    if (this.#open) this.sent.push(text);
  }

  sendAll(texts: readonly string[]): void {
    for (const text of texts) this.send(text);
  }

  close(code?: number, reason?: string): void {
    if (!this.#open) return;
    this.closedWith = { code, reason };
    this.#open = false;
    // A real socket reports its close asynchronously; the fake does it at once to keep tests simple.
    for (const listener of [...this.#close]) listener(code ?? 1005, reason ?? '');
  }

  isOpen(): boolean {
    return this.#open;
  }

  on(event: 'message' | 'close', listener: MessageListener | CloseListener): void {
    if (event === 'message') this.#message.add(listener as MessageListener);
    else this.#close.add(listener as CloseListener);
  }

  off(event: 'message' | 'close', listener: MessageListener | CloseListener): void {
    if (event === 'message') this.#message.delete(listener as MessageListener);
    else this.#close.delete(listener as CloseListener);
  }

  /** Delivers one text frame from "Twilio". */
  receive(message: string | object): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    for (const listener of [...this.#message]) listener(text);
  }

  /** Simulates Twilio closing the socket. */
  remoteClose(code = 1000): void {
    if (!this.#open) return;
    this.#open = false;
    for (const listener of [...this.#close]) listener(code, '');
  }

  get listenerCount(): number {
    return this.#message.size + this.#close.size;
  }

  /** Sent frames parsed as JSON. */
  sentJson(): Array<Record<string, unknown>> {
    return this.sent.map((text) => JSON.parse(text) as Record<string, unknown>);
  }
}

/** A logger that keeps every line as parsed JSON. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger(level, destination), lines };
}

/** Twilio's signature computed independently: base64(HMAC-SHA1(token, url + sorted key+value)). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string> = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/**
 * The form Twilio posts to the voice webhook when an inbound call rings (the parameters the handler reads; Twilio
 * sends more, which the signature covers all the same).
 */
export function voiceWebhookForm(callSid: string) {
  return {
    CallSid: callSid,
    AccountSid: 'AC00000000000000000000000000000000',
    From: '+15551230001',
    To: '+15559870002',
    Direction: 'inbound',
    CallStatus: 'ringing',
  };
}

/** Twilio Media Streams messages as Twilio sends them (numbers as strings). */
export const wire = {
  connected: () => ({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
  start: (o: { streamSid: string; callSid: string; sequenceNumber?: number; customParameters?: Record<string, string> }) => ({
    event: 'start',
    sequenceNumber: String(o.sequenceNumber ?? 1),
    start: {
      accountSid: 'AC00000000000000000000000000000000',
      streamSid: o.streamSid,
      callSid: o.callSid,
      tracks: ['inbound'],
      customParameters: o.customParameters ?? {},
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
    streamSid: o.streamSid,
  }),
  media: (o: { streamSid: string; sequenceNumber: number; chunk: number; timestampMs: number; bytes: Uint8Array }) => ({
    event: 'media',
    sequenceNumber: String(o.sequenceNumber),
    media: { track: 'inbound', chunk: String(o.chunk), timestamp: String(o.timestampMs), payload: Buffer.from(o.bytes).toString('base64') },
    streamSid: o.streamSid,
  }),
  mark: (o: { streamSid: string; sequenceNumber: number; name: string }) => ({
    event: 'mark',
    sequenceNumber: String(o.sequenceNumber),
    streamSid: o.streamSid,
    mark: { name: o.name },
  }),
  dtmf: (o: { streamSid: string; sequenceNumber: number; digit: string }) => ({
    event: 'dtmf',
    streamSid: o.streamSid,
    sequenceNumber: String(o.sequenceNumber),
    dtmf: { track: 'inbound_track', digit: o.digit },
  }),
  stop: (o: { streamSid: string; callSid: string; sequenceNumber: number }) => ({
    event: 'stop',
    sequenceNumber: String(o.sequenceNumber),
    stop: { accountSid: 'AC00000000000000000000000000000000', callSid: o.callSid },
    streamSid: o.streamSid,
  }),
};
