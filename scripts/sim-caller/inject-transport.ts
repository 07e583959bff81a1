/**
 * In-process transport: the caller drives a Fastify app with `app.inject()` and `@fastify/websocket`'s
 * `app.injectWS(path, { headers })`, no port opened. URLs keep their public form for signing; only path and query
 * reach the app.
 */
import type { FastifyInstance } from 'fastify';
import type WebSocket from 'ws';
import { wrapWebSocket, type CallerSocket, type CallerTransport } from './caller-transport.js';

function pathAndQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** A transport into `app`, which must have `@fastify/websocket` registered and be ready. */
export function injectTransport(app: FastifyInstance): CallerTransport {
  return {
    async postForm(url, form, headers) {
      const response = await app.inject({
        method: 'POST',
        url: pathAndQuery(url),
        headers: { ...headers, host: new URL(url).host, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      });
      return { status: response.statusCode, body: response.body };
    },
    async openSocket(url, headers) {
      let socket: CallerSocket | undefined;
      // injectWS hands the headers over as given; Node lower-cases names on a real upgrade, so do the same here.
      const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      await app.injectWS(pathAndQuery(url), { headers: { ...lowerCased, host: new URL(url).host } }, {
        // Listeners go on before the upgrade completes so no frame the server sends at once is missed.
        onInit: (ws: WebSocket) => {
          socket = wrapWebSocket(ws);
        },
      });
      if (socket === undefined) throw new Error('injectWS opened no socket');
      return socket;
    },
  };
}
