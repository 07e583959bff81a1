/**
 * The simulated caller: does what Twilio does for one inbound call. It signs and POSTs the voice webhook, reads the
 * TwiML, opens the media WebSocket with a signed upgrade, replays a fixture's inbound messages at their `t_ms` (real
 * pace, or `speed` times faster), plays the bot's audio on the call's clock at 8 bytes per ms, echoes each `mark` once
 * the audio before it has played, flushes and echoes pending marks on `clear`, and finally POSTs the `<Connect
 * action>` (when the server ended the stream) and the status callback, like Twilio. It returns everything it saw.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type { CallFixture } from '../../src/fixtures/call-fixture.js';
import type { CallerHttpResponse, CallerTransport } from './caller-transport.js';
import type { CallerPlayback, MarkRecord } from './caller-playback.js';
import { MediaSession } from './caller-media-session.js';
import { readConnectStreamTwiml, type ConnectStreamTwiml } from './twiml-reader.js';

/** Twilio's signature header. */
export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/** Real-time source for pacing; tests may pass their own. */
export interface SimClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs `fn` after `ms` real milliseconds; returns a canceller. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The process clock. */
export const realClock: SimClock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

/** One line of the call's transcript-like log, in call time. */
export interface CallLogEntry {
  readonly atMs: number;
  readonly who: 'caller' | 'bot' | 'twilio';
  readonly text: string;
}

/** Options of one simulated call. */
export interface SimCallOptions {
  readonly transport: CallerTransport;
  readonly fixture: CallFixture;
  /** The server's public https origin, as in its `PUBLIC_BASE_URL`: every signed URL starts with it. */
  readonly publicBaseUrl: string;
  readonly authToken: string;
  /** Pace multiplier: 1 is real time (20 ms per frame); 10 sends a 10 s call in 1 s. */
  readonly speed?: number;
  readonly from?: string;
  readonly to?: string;
  readonly callSid?: string;
  readonly accountSid?: string;
  readonly streamSid?: string;
  /** Voice webhook path on the public origin. */
  readonly voicePath?: string;
  /** Status callback path, or false to send none. */
  readonly statusCallbackPath?: string | false;
  /** Call-time ms to wait for the server to end the call when the fixture has no `stop`. */
  readonly serverEndTimeoutMs?: number;
  /** Call-time ms to wait for the socket to close after the caller's `stop`. */
  readonly closeTimeoutMs?: number;
  readonly clock?: SimClock;
  /**
   * Real milliseconds between the voice webhook's answer and the media socket's opening: Twilio's own call setup
   * (answering, its TLS connection to the server). Default 0.
   */
  readonly streamOpenDelayMs?: number;
  /** Receives each log entry as it happens (the CLI prints them live). */
  readonly onLog?: (entry: CallLogEntry) => void;
}

/** Everything a simulated call saw. */
export interface SimCallResult {
  readonly callSid: string;
  readonly accountSid: string;
  readonly streamSid: string;
  readonly twiml: ConnectStreamTwiml;
  /** Who ended the stream: the caller's `stop` (fixture or timeout) or the server closing the socket. */
  readonly endedBy: 'caller' | 'server';
  readonly closeCode: number | undefined;
  /** Call time the socket closed. */
  readonly durationMs: number;
  readonly sentMessages: number;
  readonly dtmfSent: string;
  /** Bot audio received (played or not), in ms of 8 kHz μ-law. */
  readonly botAudioMs: number;
  readonly marks: readonly MarkRecord[];
  readonly clears: readonly { readonly atMs: number; readonly flushedMs: number }[];
  /** Things a real Twilio would have rejected or warned about (binary frames, wrong streamSid, unknown events). */
  readonly violations: readonly string[];
  readonly actionResponse: CallerHttpResponse | undefined;
  readonly statusCallbackResponse: CallerHttpResponse | undefined;
  readonly log: readonly CallLogEntry[];
  /** The playback queue, for the bot's side as heard (`renderMuLaw`) and its speech stretches. */
  readonly playback: CallerPlayback;
  /**
   * Real milliseconds from sending the voice webhook to the first bot audio arriving at the caller: the silence a
   * caller hears at the start of the call. Undefined when the bot sent no audio.
   */
  readonly webhookToFirstAudioMs: number | undefined;
}

function randomSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Signs a Twilio request: base64 HMAC-SHA1 of the URL and the sorted form parameters under the auth token. */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, { ...params });
}

/** Runs one simulated call to its end. Throws when the webhook or the socket upgrade is refused. */
export async function runSimulatedCall(options: SimCallOptions): Promise<SimCallResult> {
  const clock = options.clock ?? realClock;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be above 0, got ${speed}`);
  const base = options.publicBaseUrl.replace(/\/$/, '');
  const callSid = options.callSid ?? randomSid('CA');
  const accountSid = options.accountSid ?? randomSid('AC');
  const streamSid = options.streamSid ?? randomSid('MZ');
  const from = options.from ?? '+15550000001';
  const to = options.to ?? '+15550000002';
  const baseForm = { AccountSid: accountSid, ApiVersion: '2010-04-01', CallSid: callSid, Called: to, Caller: from, Direction: 'inbound', From: from, To: to };
  const log: CallLogEntry[] = [];
  // Call time starts when the media socket opens: fixture t_ms 0 is the `connected` message.
  let startReal = clock.now();
  const callNow = (): number => (clock.now() - startReal) * speed;
  const note = (who: CallLogEntry['who'], text: string, atMs = callNow()): void => {
    const entry = { atMs: Math.round(atMs), who, text };
    log.push(entry);
    options.onLog?.(entry);
  };
  const post = (url: string, form: Record<string, string>): Promise<CallerHttpResponse> =>
    options.transport.postForm(url, form, { [TWILIO_SIGNATURE_HEADER]: twilioSignature(options.authToken, url, form) });

  const webhookAt = clock.now();
  const voice = await post(`${base}${options.voicePath ?? '/twilio/voice'}`, { ...baseForm, CallStatus: 'ringing' });
  if (voice.status !== 200) throw new Error(`voice webhook answered ${voice.status}: ${voice.body.slice(0, 200)}`);
  const twiml = readConnectStreamTwiml(voice.body);
  if (twiml.streamUrl === undefined) throw new Error(`voice webhook TwiML opens no <Stream>: ${voice.body.slice(0, 200)}`);
  if ((options.streamOpenDelayMs ?? 0) > 0) await new Promise<void>((resolve) => clock.setTimer(resolve, options.streamOpenDelayMs ?? 0));
  const socket = await options.transport.openSocket(twiml.streamUrl, {
    [TWILIO_SIGNATURE_HEADER]: twilioSignature(options.authToken, twiml.streamUrl, {}),
  });
  startReal = clock.now();
  note('twilio', `media stream open ${twiml.streamUrl}`);

  const session = new MediaSession(socket, { streamSid, callSid, accountSid, parameters: twiml.parameters, clock, callNow, speed, note });
  for (const utterance of options.fixture.header.utterances) {
    // Logged at their media time, which is the call time they are heard.
    log.push({ atMs: utterance.at_ms, who: 'caller', text: JSON.stringify(utterance.transcript) });
  }
  await session.replay(options.fixture.lines);
  const callerStopped = session.sentStop;
  if (!callerStopped) await session.waitForClose(options.serverEndTimeoutMs ?? 15_000);
  if (!session.closed) {
    if (!session.sentStop) session.sendStop();
    socket.close(1000);
    await session.waitForClose(options.closeTimeoutMs ?? 2_000);
  }
  const endedBy = callerStopped || session.stopReason === 'timeout' ? 'caller' : 'server';
  note('twilio', `stream ended by ${endedBy}`);

  // Twilio fetches <Connect action> only when our side ended the stream; after a hang-up the call is simply over.
  let actionResponse: CallerHttpResponse | undefined;
  if (endedBy === 'server' && twiml.actionUrl !== undefined) {
    actionResponse = await post(twiml.actionUrl, { ...baseForm, CallStatus: 'in-progress' });
  }
  let statusCallbackResponse: CallerHttpResponse | undefined;
  if (options.statusCallbackPath !== false) {
    statusCallbackResponse = await post(`${base}${options.statusCallbackPath ?? '/twilio/status'}`, {
      ...baseForm,
      CallStatus: 'completed',
      CallDuration: String(Math.max(1, Math.round(session.closedAtMs / 1000))),
    });
  }
  const firstAudioCallMs = session.playback.segments[0]?.startMs;
  const webhookToFirstAudioMs = firstAudioCallMs === undefined ? undefined : Math.round(startReal - webhookAt + firstAudioCallMs / speed);
  if (firstAudioCallMs !== undefined) log.push({ atMs: Math.round(firstAudioCallMs), who: 'twilio', text: `first bot audio, ${webhookToFirstAudioMs} ms after the voice webhook` });
  const stretches = session.playback.speechStretches();
  for (const stretch of stretches) {
    log.push({ atMs: Math.round(stretch.startMs), who: 'bot', text: `speaks ${((stretch.endMs - stretch.startMs) / 1000).toFixed(2)} s` });
  }
  log.sort((a, b) => a.atMs - b.atMs);
  return {
    callSid,
    accountSid,
    streamSid,
    twiml,
    endedBy,
    closeCode: session.closeCode,
    durationMs: session.closedAtMs,
    sentMessages: session.sentMessages,
    dtmfSent: session.dtmfSent,
    botAudioMs: session.playback.receivedBytes / 8,
    marks: session.playback.marks,
    clears: session.clears,
    violations: session.violations,
    actionResponse,
    statusCallbackResponse,
    log,
    playback: session.playback,
    webhookToFirstAudioMs,
  };
}
