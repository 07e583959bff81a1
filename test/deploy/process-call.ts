/**
 * Places a simulated call (the sim caller over loopback, signed like Twilio) at a server running as its own process:
 * the drain and multi-instance tests drive the compiled server, signals and all.
 */
import { runSimulatedCall, type SimCallResult } from '../../scripts/sim-caller/sim-caller.js';
import { networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { buildSyntheticCall } from '../../src/fixtures/synthetic-call.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { CallerTransport } from '../../scripts/sim-caller/caller-transport.js';
import { connectionUrl } from '../../scripts/sim-caller/network-transport.js';

/**
 * The network transport with one TCP connection per request (no keep-alive), so a round-robin balancer sees each
 * webhook and each media socket as a connection of its own, as it does Twilio's.
 */
function connectionPerRequestTransport(origin: string): CallerTransport {
  const network = networkTransport({ connectBaseUrl: origin });
  return {
    postForm: (url, form, headers) =>
      new Promise((resolve, reject) => {
        const body = new URLSearchParams(form).toString();
        const request = http.request(
          connectionUrl(url, origin),
          { method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
          (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          },
        );
        request.on('error', reject);
        request.end(body);
      }),
    openSocket: (url, headers) => network.openSocket(url, headers),
  };
}

/** The public name the processes under test are configured with (requests are signed over it). */
export const PROCESS_PUBLIC_BASE_URL = 'https://bot.example.com';
/** A real auth token's shape (32 hex digits). */
export const PROCESS_AUTH_TOKEN = '0123456789abcdef0123456789abcdef';

/** Options of {@link placeProcessCall}. */
export interface ProcessCallOptions {
  /** `http://127.0.0.1:<port>` of the server (or of a proxy in front of several). */
  readonly origin: string;
  /** How long the caller stays on before hanging up, in call time (real time at speed 1). */
  readonly durationMs: number;
  /** Call time to wait for the server to end the call when the caller never hangs up. */
  readonly serverEndTimeoutMs?: number;
  /** The caller never hangs up (the server must end the call). */
  readonly noHangup?: boolean;
  /** Opens a new TCP connection for every request (behind a round-robin proxy). */
  readonly connectionPerRequest?: boolean;
  /** Told when the media socket is open. */
  readonly onMediaOpen?: () => void;
}

/** Runs one call in real time; resolves with what the caller saw. */
export async function placeProcessCall(options: ProcessCallOptions): Promise<SimCallResult> {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  const fixture = buildSyntheticCall({
    name: 'process-call',
    description: 'a caller who stays on the line, then hangs up',
    expect: {},
    firstTimestampMs: 52,
    accountSid: `AC${'0'.repeat(32)}`,
    callSid,
    streamSid: `MZ${randomBytes(16).toString('hex')}`,
    customParameters: {},
    steps: options.noHangup ? [{ kind: 'silence', ms: options.durationMs }] : [{ kind: 'silence', ms: options.durationMs }, { kind: 'hangup' }],
  });
  return runSimulatedCall({
    transport: options.connectionPerRequest ? connectionPerRequestTransport(options.origin) : networkTransport({ connectBaseUrl: options.origin }),
    fixture,
    onLog: (entry) => {
      if (entry.text.startsWith('media stream open')) options.onMediaOpen?.();
    },
    callSid,
    publicBaseUrl: PROCESS_PUBLIC_BASE_URL,
    authToken: PROCESS_AUTH_TOKEN,
    speed: 1,
    // Twilio posts the completed status to the public URL (the balancer), not necessarily to this process.
    statusCallbackPath: false,
    ...(options.serverEndTimeoutMs === undefined ? {} : { serverEndTimeoutMs: options.serverEndTimeoutMs }),
  });
}
