/**
 * Network transport: the caller reaches a live server over http(s) and ws(s). Requests are signed over the public
 * URLs (what the server's `PUBLIC_BASE_URL` says); `connectBaseUrl` redirects the connection elsewhere, e.g. to
 * `http://127.0.0.1:5050` when the server runs locally behind a public name it cannot be reached at from here.
 */
import WebSocket from 'ws';
import { wrapWebSocket, type CallerTransport } from './caller-transport.js';

/** Options of the network transport. */
export interface NetworkTransportOptions {
  /** Where to connect instead of the public origin (http:// or https://); the path and query are kept. */
  readonly connectBaseUrl?: string;
  /** Milliseconds to wait for an HTTP answer or a socket upgrade. */
  readonly timeoutMs?: number;
}

/** Rewrites a public URL to the connection origin, keeping ws/wss in step with http/https. */
export function connectionUrl(publicUrl: string, connectBaseUrl: string | undefined): string {
  if (connectBaseUrl === undefined) return publicUrl;
  const target = new URL(publicUrl);
  const base = new URL(connectBaseUrl);
  const secure = base.protocol === 'https:';
  const websocket = target.protocol === 'ws:' || target.protocol === 'wss:';
  const protocol = websocket ? (secure ? 'wss:' : 'ws:') : base.protocol;
  return `${protocol}//${base.host}${target.pathname}${target.search}`;
}

/** A transport over the network. */
export function networkTransport(options: NetworkTransportOptions = {}): CallerTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async postForm(url, form, headers) {
      const response = await fetch(connectionUrl(url, options.connectBaseUrl), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, body: await response.text() };
    },
    openSocket(url, headers) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(connectionUrl(url, options.connectBaseUrl), { headers: { ...headers }, handshakeTimeout: timeoutMs });
        const socket = wrapWebSocket(ws);
        ws.once('open', () => resolve(socket));
        ws.once('unexpected-response', (_request, response) => {
          reject(new Error(`Unexpected server response: ${response.statusCode ?? 'unknown'}`));
          ws.terminate();
        });
        ws.once('error', (error) => reject(error));
      });
    },
  };
}
