/**
 * A minimal Twilio for liveness tests on loopback: posts the signed voice webhook, opens the signed media socket,
 * sends `connected` and `start` with the token from the TwiML, streams 20 ms μ-law silence frames on a real
 * timer until told to stop, and records when bot audio arrived and when the server closed the stream.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
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
  /** Ends the call from Twilio's side. */
  hangUp(): void;
  /** Posts the `<Connect action>` request Twilio makes after the stream closed; resolves with its TwiML. */
  fetchFallback(): Promise<string>;
}

const SILENCE_FRAME = new Uint8Array(160).fill(0xff);

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
  const wssHost = new URL(options.publicBaseUrl).host;
  const ws = new WebSocket(`${options.localUrl.replace('http:', 'ws:')}/twilio/media`, {
    headers: { 'x-twilio-signature': twilioSignature(options.authToken, `wss://${wssHost}/twilio/media`, {}) },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const streamSid = `MZ${options.callSid.slice(2)}`;
  const driver: TwilioDriver = {
    frameSentAt: [],
    mediaAt: [],
    closedAt: undefined,
    closeCode: undefined,
    silence: () => clearInterval(timer),
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
    const message = JSON.parse(String(data)) as { event?: string };
    if (message.event === 'media') driver.mediaAt.push(Date.now());
  });
  ws.on('close', (code) => {
    clearInterval(timer);
    driver.closedAt = Date.now();
    driver.closeCode = code;
  });
  ws.send(JSON.stringify(wire.connected()));
  ws.send(JSON.stringify(wire.start({ streamSid, callSid: options.callSid, customParameters: { token, callSid: options.callSid } })));
  let sequence = 2;
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const n = sequence - 2;
    // Contiguous timestamps, as Twilio stamps its frames: a late timer is late delivery, not a gap to fill.
    driver.frameSentAt.push(performance.now());
    ws.send(JSON.stringify(wire.media({ streamSid, sequenceNumber: sequence++, chunk: n + 1, timestampMs: 52 + 20 * n, bytes: SILENCE_FRAME })));
  }, 20);
  return driver;
}
