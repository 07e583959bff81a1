/**
 * The console softphone: captures the microphone at 8 kHz (an `AudioContext` at the Media Streams rate and an
 * `AudioWorklet`), frames it into 20 ms μ-law `media` messages and speaks the Twilio Media Streams protocol to the
 * server's softphone socket: `connected`, `start` (with `customParameters.token`, the single-use stream token the
 * console session obtained), `media` every 20 ms, `dtmf`, `mark` echoes once the audio queued before a mark has
 * played, a flush (and echo of every pending mark) on `clear`, and `stop`. The bot's μ-law is played back FIFO.
 */
import { decodeToFloat, encodeFloat, fromBase64, toBase64 } from './mulaw.js';

/** 20 ms at 8 kHz. */
const FRAME_SAMPLES = 160;
/** RMS above which a mic frame counts as speech (about -34 dBFS). */
const VOICED_RMS = 0.02;

/** What the softphone measured; the browser test reads it as `window.softphoneStats`. */
export interface SoftphoneStats {
  callSid: string | undefined;
  framesSent: number;
  botAudioBytes: number;
  audibleSamplesPlayed: number;
  marksEchoed: number;
  clears: number;
  /** Per bot reply: the caller's last voiced mic frame sent → the bot's first audible sample played, in ms. */
  mouthToEarMs: number[];
}

export class Softphone {
  readonly stats: SoftphoneStats = { callSid: undefined, framesSent: 0, botAudioBytes: 0, audibleSamplesPlayed: 0, marksEchoed: 0, clears: 0, mouthToEarMs: [] };
  #ws: WebSocket | undefined;
  #context: AudioContext | undefined;
  #player: AudioWorkletNode | undefined;
  #stream: MediaStream | undefined;
  #streamSid = `MZ${crypto.randomUUID().replaceAll('-', '')}`;
  #sequence = 0;
  #chunk = 0;
  #pending = new Float32Array(FRAME_SAMPLES);
  #pendingLength = 0;
  #lastVoicedAt: number | undefined;
  #onState: (state: string) => void;

  constructor(onState: (state: string) => void) {
    this.#onState = onState;
  }

  async start(): Promise<void> {
    this.#onState('getting a token');
    const answer = await fetch('/console/api/softphone', { method: 'POST', credentials: 'same-origin' });
    if (!answer.ok) throw new Error(`softphone refused: ${answer.status}`);
    const { callSid, token, mediaPath } = (await answer.json()) as { callSid: string; token: string; mediaPath: string };
    this.stats.callSid = callSid;
    this.#stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
    const context = new AudioContext({ sampleRate: 8000, latencyHint: 'interactive' });
    this.#context = context;
    await context.audioWorklet.addModule('/console/softphone-worklet.js');
    const capture = new AudioWorkletNode(context, 'softphone-capture', { numberOfInputs: 1, numberOfOutputs: 0 });
    const player = new AudioWorkletNode(context, 'softphone-player', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
    this.#player = player;
    context.createMediaStreamSource(this.#stream).connect(capture);
    player.connect(context.destination);
    player.port.onmessage = (message) => this.#onPlayer(message.data as { type: string; name?: string; marks?: string[]; samples?: number; audible?: boolean });

    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${mediaPath}`;
    const ws = new WebSocket(url);
    this.#ws = ws;
    this.#onState('connecting');
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('media socket failed'));
    });
    this.#send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.#send({
      event: 'start',
      sequenceNumber: String(++this.#sequence),
      start: {
        accountSid: 'ACsoftphone',
        streamSid: this.#streamSid,
        callSid,
        tracks: ['inbound'],
        customParameters: { token, softphone: 'true', from: 'softphone' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: this.#streamSid,
    });
    ws.onmessage = (message) => this.#onServer(String(message.data));
    ws.onclose = () => this.#hangUpLocally('the bot ended the call');
    capture.port.onmessage = (message) => this.#onMic(message.data as Float32Array);
    this.#onState('in call');
  }

  /** Sends a key press as Twilio does. */
  pressKey(digit: string): void {
    this.#send({ event: 'dtmf', streamSid: this.#streamSid, sequenceNumber: String(++this.#sequence), dtmf: { track: 'inbound_track', digit } });
  }

  /** Hangs up: `stop`, then the socket closes. */
  hangUp(): void {
    this.#send({ event: 'stop', sequenceNumber: String(++this.#sequence), streamSid: this.#streamSid, stop: { accountSid: 'ACsoftphone', callSid: this.stats.callSid } });
    this.#ws?.close(1000);
    this.#hangUpLocally('hung up');
  }

  #hangUpLocally(state: string): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    void this.#context?.close().catch(() => undefined);
    this.#context = undefined;
    this.#onState(state);
  }

  #send(message: unknown): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  #onMic(block: Float32Array): void {
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(FRAME_SAMPLES - this.#pendingLength, block.length - offset);
      this.#pending.set(block.subarray(offset, offset + take), this.#pendingLength);
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength === FRAME_SAMPLES) {
        this.#sendFrame(this.#pending);
        this.#pendingLength = 0;
      }
    }
  }

  #sendFrame(frame: Float32Array): void {
    let energy = 0;
    for (const s of frame) energy += s * s;
    if (Math.sqrt(energy / frame.length) > VOICED_RMS) this.#lastVoicedAt = performance.now();
    const chunk = ++this.#chunk;
    this.#send({
      event: 'media',
      sequenceNumber: String(++this.#sequence),
      media: { track: 'inbound', chunk: String(chunk), timestamp: String(chunk * 20), payload: toBase64(encodeFloat(frame)) },
      streamSid: this.#streamSid,
    });
    this.stats.framesSent += 1;
  }

  #onServer(text: string): void {
    let message: { event?: string; media?: { payload?: string }; mark?: { name?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.event === 'media' && typeof message.media?.payload === 'string') {
      const bytes = fromBase64(message.media.payload);
      this.stats.botAudioBytes += bytes.length;
      this.#player?.port.postMessage({ type: 'audio', samples: decodeToFloat(bytes) });
    } else if (message.event === 'mark' && typeof message.mark?.name === 'string') {
      this.#player?.port.postMessage({ type: 'mark', name: message.mark.name });
    } else if (message.event === 'clear') {
      this.stats.clears += 1;
      this.#player?.port.postMessage({ type: 'clear' });
    }
  }

  #echoMark(name: string): void {
    this.stats.marksEchoed += 1;
    this.#send({ event: 'mark', sequenceNumber: String(++this.#sequence), streamSid: this.#streamSid, mark: { name } });
  }

  #onPlayer(data: { type: string; name?: string; marks?: string[]; samples?: number; audible?: boolean }): void {
    if (data.type === 'mark' && data.name !== undefined) this.#echoMark(data.name);
    else if (data.type === 'cleared') for (const name of data.marks ?? []) this.#echoMark(name);
    else if (data.type === 'played' && data.audible) this.stats.audibleSamplesPlayed += data.samples ?? 0;
    else if (data.type === 'speaking' && this.#lastVoicedAt !== undefined) {
      this.stats.mouthToEarMs.push(Math.round(performance.now() - this.#lastVoicedAt));
    }
  }
}
