/**
 * Measures, with the default limits, how long the server keeps an idle connection and a slowloris connection
 * (headers trickled one byte every 500 ms) before closing them. Prints one line per case; takes ~25 s.
 * Usage: `npx tsx scripts/measure-slow-clients.ts`
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import type { CallHandler } from '../src/telephony/call-handler.js';

const handler: CallHandler = { onCallAnswered: () => undefined, onStreamStarted: ({ transport }) => transport.close() };
const config = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.com', TWILIO_AUTH_TOKEN: '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e', OPENAI_API_KEY: 'sk-measure' });
const app = await buildApp({ config, logger: createLogger('silent'), callHandler: handler });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as net.AddressInfo;

function closedAfter(setup: (socket: net.Socket) => void): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = performance.now();
    socket.on('error', () => undefined);
    socket.resume(); // read what the server sends (a 408), so its close is seen
    socket.on('close', () => resolve(Math.round(performance.now() - started)));
    socket.on('connect', () => setup(socket));
  });
}

const [idle, slowloris] = await Promise.all([
  closedAfter(() => undefined),
  closedAfter((socket) => {
    socket.write('POST /twilio/voice HTTP/1.1\r\nHost: bot.example.com\r\n');
    const timer = setInterval(() => (socket.writable ? socket.write('X') : clearInterval(timer)), 500);
    socket.on('close', () => clearInterval(timer));
  }),
]);
console.log(`idle connection closed after ${idle} ms (HTTP_IDLE_TIMEOUT_MS=${config.http.idleTimeoutMs})`);
console.log(`slowloris connection closed after ${slowloris} ms (HTTP_HEADERS_TIMEOUT_MS=${config.http.headersTimeoutMs})`);
await app.close();
