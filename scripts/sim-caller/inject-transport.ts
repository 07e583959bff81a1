/**
 * In-process transport: the caller drives a Fastify app with `app.inject()` and `@fastify/websocket`'s
 * `app.injectWS(path, { headers })`, no port opened. URLs keep their public form for signing; only path and query
 * reach the app.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type WebSocket from 'ws';
import { wrapWebSocket, type CallerSocket, type CallerTransport } from './caller-transport.js';

/** Request property tagging an injected upgrade, so its server-side socket can be found among concurrent ones. */
const UPGRADE_TAG = 'simCallerUpgradeId';

let nextUpgradeId = 0;

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
      const upgradeId = ++nextUpgradeId;
      let serverSide: WebSocket | undefined;
      const onConnection = (ws: WebSocket, request: IncomingMessage): void => {
        if ((request as unknown as Record<string, unknown>)[UPGRADE_TAG] === upgradeId) serverSide = ws;
      };
      app.websocketServer.on('connection', onConnection);
      let socket: CallerSocket | undefined;
      // injectWS hands the headers over as given; Node lower-cases names on a real upgrade, so do the same here.
      const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      const upgradeContext = { headers: { ...lowerCased, host: new URL(url).host }, [UPGRADE_TAG]: upgradeId } as unknown as Partial<IncomingMessage>;
      try {
        await app.injectWS(pathAndQuery(url), upgradeContext, {
          // Listeners go on before the upgrade completes so no frame the server sends at once is missed.
          onInit: (ws: WebSocket) => {
            socket = wrapWebSocket(ws);
            // injectWS joins the two ends with in-memory streams that never end, so after the closing handshake the
            // server's socket would only emit 'close' on ws's 30 s timeout. Ending it here gives the prompt 'close'
            // (with the handshake's code) that a real TCP connection gives.
            ws.on('close', () => serverSide?.terminate());
          },
        });
      } finally {
        app.websocketServer.off('connection', onConnection);
      }
      if (socket === undefined) throw new Error('injectWS opened no socket');
      return socket;
    },
  };
}
