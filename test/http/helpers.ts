/** Shared setup for the HTTP tests: a config, a recording CallHandler, signing helpers and a polling wait. */
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import type { MediaSocketDecorator } from '../../src/http/media-route.js';
import type { CallHandler, IncomingCall, StartedStream, StatusCallback } from '../../src/telephony/call-handler.js';
import type { CallStatusLookup } from '../../src/telephony/call-status-verifier.js';
import type { Clock } from '../../src/telephony/clock.js';
import { StreamTokenStore } from '../../src/telephony/stream-token-store.js';
import { captureLogger, FakeClock, twilioSignature } from '../telephony/fakes.js';

/** A well-formed Twilio auth token (32 hex digits), as `loadConfig` requires. */
export const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
export const PUBLIC = 'https://bot.example.com';

export function testConfig(env: Readonly<Record<string, string>> = {}): Config {
  return loadConfig({ PUBLIC_BASE_URL: PUBLIC, TWILIO_AUTH_TOKEN: AUTH_TOKEN, OPENAI_API_KEY: 'sk-test', LOG_LEVEL: 'debug', ...env });
}

/** A CallHandler that records everything and consumes each stream's inbound audio. */
export class RecordingCallHandler implements CallHandler {
  readonly answered: IncomingCall[] = [];
  readonly streams: Array<StartedStream & { samples: number; chunks: number; events: string[] }> = [];
  readonly statuses: StatusCallback[] = [];
  readonly streamEndedRequests: string[] = [];
  fallbackTwiml: string | undefined;

  onCallAnswered(call: IncomingCall): void {
    this.answered.push(call);
  }

  onStreamStarted(stream: StartedStream): void {
    const record = { ...stream, samples: 0, chunks: 0, events: [] as string[] };
    this.streams.push(record);
    stream.transport.on('mark', (e) => record.events.push(`mark:${e.name}`));
    stream.transport.on('dtmf', (e) => record.events.push(`dtmf:${e.digit}`));
    stream.transport.on('stop', () => record.events.push('stop'));
    stream.transport.on('closed', (e) => record.events.push(`closed:${e.reason}`));
    void (async () => {
      for await (const pcm of stream.transport.inboundAudio()) {
        record.samples += pcm.length;
        record.chunks += 1;
      }
      record.events.push('inbound-ended');
    })();
  }

  streamEndedTwiml(callSid: string): string | undefined {
    this.streamEndedRequests.push(callSid);
    return this.fallbackTwiml;
  }

  onStatus(status: StatusCallback): void {
    this.statuses.push(status);
  }
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly handler: RecordingCallHandler;
  readonly tokens: StreamTokenStore;
  readonly clock: FakeClock;
  readonly lines: Array<Record<string, unknown>>;
}

/** Builds the app with fakes; `handshakeTimeoutMs` drives the fake clock's handshake timer. */
export async function createTestApp(
  options: { clock?: Clock; decorateMediaSocket?: MediaSocketDecorator; callStatusLookup?: CallStatusLookup; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock();
  const config = testConfig(options.env);
  const { logger, lines } = captureLogger('debug');
  const handler = new RecordingCallHandler();
  const tokens = new StreamTokenStore({ ttlMs: config.streamTokenTtlMs, clock });
  const app = await buildApp({ config, logger, callHandler: handler, clock, tokenStore: tokens, handshakeTimeoutMs: 5_000,
    ...(options.decorateMediaSocket === undefined ? {} : { decorateMediaSocket: options.decorateMediaSocket }),
    ...(options.callStatusLookup === undefined ? {} : { callStatusLookup: options.callStatusLookup }),
  });
  return { app, handler, tokens, clock, lines };
}

/** Signs a form POST to `path` as Twilio would, over the public URL. */
export function signForm(path: string, params: Record<string, string>): string {
  return twilioSignature(AUTH_TOKEN, `${PUBLIC}${path}`, params);
}

/** Posts `params` to `path` (injected, no port) as Twilio posts a webhook: form-encoded, signed over the public URL. */
export function postSignedForm(app: FastifyInstance, path: string, params: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(path, params) },
    payload: formBody(params),
  });
}

/** Signs the media upgrade as Twilio would: the wss URL, no params. */
export function signUpgrade(path = '/twilio/media'): string {
  return twilioSignature(AUTH_TOKEN, `wss://bot.example.com${path}`, {});
}

/** Form-encodes params the way Twilio posts them. */
export function formBody(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Polls until `condition` holds; the in-memory websocket delivers frames asynchronously. */
export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
