/**
 * The comparison server for the load bench, built the way the Agents SDK's official Twilio example builds it:
 * Fastify + @fastify/websocket, a `TwilioRealtimeTransportLayer` on each media socket and a `RealtimeSession` on it
 * (`session.connect({ apiKey, url })`), μ-law passthrough (`audio/pcmu`) both ways. The example has no signature
 * checks, no orchestrator and no resampling; that is the baseline. Settings come from the bench over env:
 * `PORT`, `PUBLIC_BASE_URL` (the https origin the TwiML names), `OPENAI_REALTIME_URL` (the load fake).
 */
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import { TwilioRealtimeTransportLayer } from '@openai/agents-extensions';
import { RealtimeAgent, RealtimeSession } from '@openai/agents/realtime';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? '5050');
const publicHost = new URL(process.env.PUBLIC_BASE_URL ?? 'https://bench.invalid').host;
const realtimeUrl = process.env.OPENAI_REALTIME_URL;

const agent = new RealtimeAgent({
  name: 'Triage Agent',
  instructions: 'You are a helpful phone assistant for an internet provider. Keep answers short.',
});

const app = Fastify();
await app.register(formbody);
await app.register(websocket);

app.get('/healthz', async () => ({ status: 'ok' }));

app.post('/twilio/voice', async (_request, reply) => {
  const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://${publicHost}/twilio/media" /></Connect></Response>`;
  return reply.type('text/xml').send(twiml);
});

app.get('/twilio/media', { websocket: true }, async (socket) => {
  const transport = new TwilioRealtimeTransportLayer({ twilioWebSocket: socket });
  const session = new RealtimeSession(agent, { transport, model: 'gpt-realtime', config: { audio: { output: { voice: 'verse' } } } });
  session.on('error', () => undefined);
  try {
    await session.connect({ apiKey: 'bench-local-key', ...(realtimeUrl ? { url: realtimeUrl } : {}) });
  } catch {
    socket.close(1011, 'realtime connect failed');
  }
});

// Exit cleanly on SIGTERM so `node --cpu-prof` writes its profile (the example itself just dies).
process.once('SIGTERM', () => process.exit(0));
await app.listen({ host: '127.0.0.1', port });
