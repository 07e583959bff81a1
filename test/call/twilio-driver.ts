/**
 * A minimal Twilio for liveness tests on loopback: posts the signed voice webhook, opens the signed media socket,
 * sends `connected` and `start` with the token from the TwiML, streams 20 ms μ-law frames on a real timer (silence,
 * or a tone while told to speak) until told to stop, plays bot audio at 8 bytes/ms and echoes each mark when the
 * audio before it has played (at once on `clear`), and records when bot audio arrived and when the server closed
 * the stream.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { muLawEncode } from '../../src/audio/mulaw.js';
import { twilioSignature, voiceWebhookForm, wire } from '../telephony/fakes.js';

export interface DriverOptions {
  readonly localUrl: string;
  readonly publicBaseUrl: string;
  readonly authToken: string;
  readonly callSid: string;
}

export interface TwilioDriver {
  /** performance.now() when each inbound 20 ms frame was sent (index = frame number from 0). */
  readonly frameSentAt: number[];
  /** Date.now() of every `media` message the bot sent. */
  readonly mediaAt: number[];
  /** Date.now() when the server closed the media socket, once it did. */
  closedAt: number | undefined;
  closeCode: number | undefined;
  /** Stops sending frames but keeps the socket open (a silent Twilio side). */
  silence(): void;
  /** The caller talks (a loud tone instead of silence) for the next `durationMs`. */
  speak(durationMs: number): void;
  /** Bytes of bot audio received. */
  readonly botBytes: number;
  /** Ends the call from Twilio's side. */
  hangUp(): void;
  /** Posts the `<Connect action>` request Twilio makes after the stream closed; resolves with its TwiML. */
  fetchFallback(): Promise<string>;
  /** Ends this stream as Twilio does when a REST update replaces the call's TwiML: `stop`, then the close. */
  stopStream(): void;
}

const SILENCE_FRAME = new Uint8Array(160).fill(0xff);
/** 20 ms of a 300 Hz tone at 8 kHz, loud enough for any energy VAD: the caller's voice. */
const SPEECH_FRAME = muLawEncode(Int16Array.from({ length: 160 }, (_, i) => Math.round(9_000 * Math.sin((2 * Math.PI * 300 * i) / 8_000))));

export async function startTwilioCall(options: DriverOptions): Promise<TwilioDriver> {
  const params = voiceWebhookForm(options.callSid);
  const sign = (path: string, form: Record<string, string>) => twilioSignature(options.authToken, `${options.publicBaseUrl}${path}`, form);
  const answer = await fetch(`${options.localUrl}/twilio/voice`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign('/twilio/voice', params) },
    body: new URLSearchParams(params).toString(),
  });
  const twiml = await answer.text();
  const token = /<Parameter name="token" value="([^"]+)"\/>/.exec(twiml)?.[1];
  if (answer.status !== 200 || token === undefined) throw new Error(`voice webhook answered ${answer.status}`);
  return openTwilioStream(options, { token, callSid: options.callSid });
}

/** The `<Parameter>`s of a `<Connect><Stream>` TwiML document, as Twilio sends them in `start.customParameters`. */
export function streamParameters(twiml: string): Record<string, string> {
  return Object.fromEntries([...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** Opens the signed media stream of a call that runs `<Connect><Stream>` with these parameters, and drives it. */
export async function openTwilioStream(options: DriverOptions, customParameters: Record<string, string>, streamNumber = 1): Promise<TwilioDriver> {
  const params = { CallSid: options.callSid, AccountSid: 'AC00000000000000000000000000000000' };
  const sign = (path: string, form: Record<string, string>) => twilioSignature(options.authToken, `${options.publicBaseUrl}${path}`, form);
  const wssHost = new URL(options.publicBaseUrl).host;
  const ws = new WebSocket(`${options.localUrl.replace('http:', 'ws:')}/twilio/media`, {
    headers: { 'x-twilio-signature': twilioSignature(options.authToken, `wss://${wssHost}/twilio/media`, {}) },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const streamSid = streamNumber === 1 ? `MZ${options.callSid.slice(2)}` : `MZ${streamNumber}${options.callSid.slice(3)}`;
  let speakingUntil = 0;
  let playedUntil = 0;
  let botBytes = 0;
  const pendingMarks = new Map<string, ReturnType<typeof setTimeout>>();
  const echoMark = (name: string): void => {
    pendingMarks.delete(name);
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(wire.mark({ streamSid, sequenceNumber: sequence++, name })));
  };
  const driver: TwilioDriver = {
    speak: (durationMs) => {
      speakingUntil = performance.now() + durationMs;
    },
    get botBytes() {
      return botBytes;
    },
    frameSentAt: [],
    mediaAt: [],
    closedAt: undefined,
    closeCode: undefined,
    silence: () => clearInterval(timer),
    stopStream: () => {
      clearInterval(timer);
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(wire.stop({ streamSid, callSid: options.callSid, sequenceNumber: sequence++ })));
      ws.close();
    },
    hangUp: () => {
      clearInterval(timer);
      ws.close();
    },
    async fetchFallback() {
      const form = { CallSid: options.callSid, AccountSid: params.AccountSid };
      const res = await fetch(`${options.localUrl}/twilio/stream-ended`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign('/twilio/stream-ended', form) },
        body: new URLSearchParams(form).toString(),
      });
      return res.text();
    },
  };
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { event?: string; media?: { payload?: string }; mark?: { name?: string } };
    const now = performance.now();
    if (message.event === 'media') {
      driver.mediaAt.push(Date.now());
      const bytes = Buffer.from(message.media?.payload ?? '', 'base64').length;
      botBytes += bytes;
      playedUntil = Math.max(playedUntil, now) + bytes / 8;
    } else if (message.event === 'mark' && message.mark?.name !== undefined) {
      const name = message.mark.name;
      pendingMarks.set(name, setTimeout(() => echoMark(name), Math.max(0, playedUntil - now)));
    } else if (message.event === 'clear') {
      playedUntil = now;
      for (const [name, timer] of pendingMarks) {
        clearTimeout(timer);
        echoMark(name);
      }
    }
  });
  ws.on('close', (code) => {
    clearInterval(timer);
    for (const timer of pendingMarks.values()) clearTimeout(timer);
    driver.closedAt = Date.now();
    driver.closeCode = code;
  });
  ws.send(JSON.stringify(wire.connected()));
  ws.send(JSON.stringify(wire.start({ streamSid, callSid: options.callSid, customParameters })));
  let sequence = 2;
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const n = sequence - 2;
    // Contiguous timestamps, as Twilio stamps its frames: a late timer is late delivery, not a gap to fill.
    driver.frameSentAt.push(performance.now());
    const bytes = performance.now() < speakingUntil ? SPEECH_FRAME : SILENCE_FRAME;
    ws.send(JSON.stringify(wire.media({ streamSid, sequenceNumber: sequence++, chunk: n + 1, timestampMs: 52 + 20 * n, bytes })));
  }, 20);
  return driver;
}
