/**
 * One simulated Twilio call for the load bench: a lean variant of `scripts/sim-caller/` that keeps only timestamps.
 * It signs and POSTs the voice webhook, opens the media socket with a signed upgrade, sends `connected`, `start`
 * and then one 20 ms `media` frame per 20 ms of wall time (the first second carries the call tag, the rest loop recorded
 * caller audio), plays the bot's audio at 8 bytes per ms, echoes each mark once the audio before it has played,
 * echoes pending marks on `clear` (as Twilio does), and at the end sends `stop` and closes.
 */
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { connectionUrl } from '../../sim-caller/network-transport.js';
import { TWILIO_SIGNATURE_HEADER, twilioSignature } from '../../sim-caller/sim-caller.js';
import { readConnectStreamTwiml } from '../../sim-caller/twiml-reader.js';
import { encodeCallTag, TAG_FRAMES } from './call-tag.js';
import { FRAME_MS, MULAW_BYTES_PER_MS as PLAY_BYTES_PER_MS } from '../../../src/audio/constants.js';
import { epochMs, type CallerCallRecord } from './records.js';

/** A media message this long after the previous one starts a new reply (replies are >= 1 s apart). */
const NEW_SEGMENT_GAP_MS = 300;
/** Twilio's first media timestamp is not 0 (52 and 155 seen in captures). */
const FIRST_TIMESTAMP_MS = 52;

/** What every call of a caller process shares. */
export interface LoadCallContext {
  readonly connectBaseUrl: string;
  readonly publicBaseUrl: string;
  readonly authToken: string;
  /** Base64 μ-law payloads of recorded caller audio, looped after the tag frame. */
  readonly payloads: readonly string[];
}

function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

function base64Bytes(b64: string): number {
  return (b64.length * 3) / 4 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
}

/** One call; `run` resolves when the socket has closed. */
export class LoadCall {
  readonly #ctx: LoadCallContext;
  readonly #callId: number;
  readonly #callSid = sid('CA');
  readonly #streamSid = sid('MZ');
  readonly #accountSid = sid('AC');
  readonly #tagPayload: string;
  readonly record: CallerCallRecord & { failure: string | undefined; closedByServer: boolean; violations: number };
  #ws: WebSocket | undefined;
  #sequence = 0;
  #frame = 0;
  #firstFrameAt = 0;
  #frameTimer: NodeJS.Timeout | undefined;
  #hangingUp = false;
  // Playback model: audio queued at "Twilio" plays from #playEnd on; marks echo when the audio before them ends.
  #playEnd = 0;
  #marks: { name: string; due: number }[] = [];
  #markTimer: NodeJS.Timeout | undefined;
  #segment = -1;
  #segmentBytes = 0;
  #lastMediaAt = -Infinity;
  #clearedSinceMedia = true;

  constructor(ctx: LoadCallContext, callId: number) {
    this.#ctx = ctx;
    this.#callId = callId;
    this.#tagPayload = Buffer.from(encodeCallTag(callId)).toString('base64');
    this.record = { callId, frameTimes: [], mediaTimes: [], mediaSegments: [], mediaEnds: [], clearedSegments: [], clearTimes: [], failure: undefined, closedByServer: false, violations: 0 };
  }

  /** Places the call and streams until `stopFramesAt`; hangs up at `hangUpAt`. Never rejects. */
  async run(stopFramesAt: number, hangUpAt: number, onConnected: () => void): Promise<void> {
    try {
      await this.#connect();
    } catch (error) {
      this.record.failure = error instanceof Error ? error.message : String(error);
      return;
    }
    onConnected();
    const ws = this.#ws as WebSocket;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    this.#firstFrameAt = epochMs();
    this.#sendFrames(stopFramesAt);
    const hangUp = setTimeout(() => this.#hangUp(), Math.max(0, hangUpAt - epochMs()));
    await closed;
    clearTimeout(hangUp);
    if (this.#frameTimer) clearTimeout(this.#frameTimer);
    if (this.#markTimer) clearTimeout(this.#markTimer);
    if (!this.#hangingUp) this.record.closedByServer = true;
  }

  async #connect(): Promise<void> {
    const base = this.#ctx.publicBaseUrl;
    const form = { AccountSid: this.#accountSid, ApiVersion: '2010-04-01', CallSid: this.#callSid, CallStatus: 'ringing', Called: '+15550000002', Caller: '+15550000001', Direction: 'inbound', From: '+15550000001', To: '+15550000002' };
    const voiceUrl = `${base}/twilio/voice`;
    const response = await fetch(connectionUrl(voiceUrl, this.#ctx.connectBaseUrl), {
      method: 'POST',
      headers: { [TWILIO_SIGNATURE_HEADER]: twilioSignature(this.#ctx.authToken, voiceUrl, form), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`voice webhook answered ${response.status}`);
    const twiml = readConnectStreamTwiml(body);
    if (twiml.streamUrl === undefined) throw new Error('voice webhook TwiML opens no <Stream>');
    const streamUrl = twiml.streamUrl;
    const ws = new WebSocket(connectionUrl(streamUrl, this.#ctx.connectBaseUrl), {
      headers: { [TWILIO_SIGNATURE_HEADER]: twilioSignature(this.#ctx.authToken, streamUrl, {}) },
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`media upgrade answered ${res.statusCode ?? 'unknown'}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => this.#onMessage(isBinary ? undefined : data.toString()));
    this.#ws = ws;
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    this.#send(
      `{"event":"start","sequenceNumber":"${++this.#sequence}","start":${JSON.stringify({
        accountSid: this.#accountSid,
        streamSid: this.#streamSid,
        callSid: this.#callSid,
        tracks: ['inbound'],
        customParameters: twiml.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      })},"streamSid":"${this.#streamSid}"}`,
    );
  }

  /** Sends every frame due by now (a late timer sends a burst, as Twilio does) and arms the next. */
  #sendFrames(stopFramesAt: number): void {
    this.#frameTimer = undefined;
    if (this.#hangingUp || this.#ws?.readyState !== WebSocket.OPEN) return;
    const now = epochMs();
    const end = Math.min(now, stopFramesAt);
    while (this.#firstFrameAt + this.#frame * FRAME_MS <= end) {
      const k = this.#frame++;
      const payload = k < TAG_FRAMES ? this.#tagPayload : (this.#ctx.payloads[k % this.#ctx.payloads.length] as string);
      const seq = ++this.#sequence;
      this.#send(
        `{"event":"media","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${k + 1}","timestamp":"${FIRST_TIMESTAMP_MS + k * FRAME_MS}","payload":"${payload}"},"streamSid":"${this.#streamSid}"}`,
      );
      this.record.frameTimes.push(epochMs());
    }
    const next = this.#firstFrameAt + this.#frame * FRAME_MS;
    if (next > stopFramesAt) return;
    this.#frameTimer = setTimeout(() => this.#sendFrames(stopFramesAt), Math.max(0, next - epochMs()));
  }

  #hangUp(): void {
    if (this.#hangingUp) return;
    this.#hangingUp = true;
    const ws = this.#ws;
    if (ws?.readyState !== WebSocket.OPEN) return;
    this.#send(`{"event":"stop","sequenceNumber":"${++this.#sequence}","stop":{"accountSid":"${this.#accountSid}","callSid":"${this.#callSid}"},"streamSid":"${this.#streamSid}"}`);
    ws.close(1000);
    // A server that never completes the close handshake must not hold the run open.
    setTimeout(() => ws.terminate(), 2000).unref();
  }

  #send(text: string): void {
    this.#ws?.send(text);
  }

  #onMessage(text: string | undefined): void {
    const now = epochMs();
    let msg: { event?: unknown; streamSid?: unknown; media?: { payload?: unknown }; mark?: { name?: unknown } };
    try {
      if (text === undefined) throw new Error('binary');
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.record.violations += 1;
      return;
    }
    if (msg.streamSid !== this.#streamSid) {
      this.record.violations += 1;
      return;
    }
    switch (msg.event) {
      case 'media': {
        if (typeof msg.media?.payload !== 'string') {
          this.record.violations += 1;
          return;
        }
        const bytes = base64Bytes(msg.media.payload);
        if (this.#clearedSinceMedia || now - this.#lastMediaAt >= NEW_SEGMENT_GAP_MS) {
          this.#segment += 1;
          this.#segmentBytes = 0;
          if (this.#clearedSinceMedia) this.record.clearedSegments.push(this.#segment);
        }
        this.#clearedSinceMedia = false;
        this.#lastMediaAt = now;
        this.#segmentBytes += bytes;
        this.record.mediaTimes.push(now);
        this.record.mediaSegments.push(this.#segment);
        this.record.mediaEnds.push(this.#segmentBytes);
        this.#playEnd = Math.max(this.#playEnd, now) + bytes / PLAY_BYTES_PER_MS;
        return;
      }
      case 'mark':
        if (typeof msg.mark?.name !== 'string') {
          this.record.violations += 1;
          return;
        }
        this.#marks.push({ name: msg.mark.name, due: Math.max(this.#playEnd, now) });
        this.#armMarks();
        return;
      case 'clear':
        this.record.clearTimes.push(now);
        this.#clearedSinceMedia = true;
        this.#playEnd = now;
        this.#echoMarks(this.#marks.splice(0));
        return;
      default:
        this.record.violations += 1;
    }
  }

  #armMarks(): void {
    if (this.#markTimer !== undefined) return;
    const first = this.#marks[0];
    if (!first) return;
    this.#markTimer = setTimeout(() => {
      this.#markTimer = undefined;
      const now = epochMs();
      let due = 0;
      while (due < this.#marks.length && (this.#marks[due] as { due: number }).due <= now) due += 1;
      this.#echoMarks(this.#marks.splice(0, due));
      this.#armMarks();
    }, Math.max(0, first.due - epochMs()));
  }

  #echoMarks(marks: readonly { name: string }[]): void {
    if (this.#hangingUp || this.#ws?.readyState !== WebSocket.OPEN) return;
    for (const mark of marks) {
      this.#send(`{"event":"mark","sequenceNumber":"${++this.#sequence}","mark":${JSON.stringify({ name: mark.name })},"streamSid":"${this.#streamSid}"}`);
    }
  }
}
