/**
 * The transport floor for the load bench: a bare μ-law relay written for the benchmark only, never a product.
 * Fastify + @fastify/websocket and `ws`, no Agents SDK, no orchestrator, no resampling: Twilio's signature checked on
 * the voice webhook and on the media upgrade (as ours does), then per call one Realtime socket asking for
 * `audio/pcmu` both ways; each Twilio `media` frame is one JSON parse and one `input_audio_buffer.append` with the
 * payload as is; each `response.output_audio.delta` is one JSON parse and one Twilio `media` with the delta as is.
 * Barge-in is the least that keeps the caller's ear right: `speech_started` sends `clear` and `response.cancel`.
 * Settings over env, as the other bench servers: `PORT`, `PUBLIC_BASE_URL`, `TWILIO_AUTH_TOKEN`, `OPENAI_REALTIME_URL`.
 */
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import WebSocket from 'ws';
import { isValidTwilioSignature, mediaSignedUrl, toWebSocketOrigin, webhookSignedUrl } from '../../../src/telephony/signature.js';

const port = Number(process.env.PORT ?? '5050');
const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? 'https://bench.invalid';
const authToken = process.env.TWILIO_AUTH_TOKEN ?? '';
const realtimeUrl = process.env.OPENAI_REALTIME_URL ?? 'wss://api.openai.com/v1/realtime?model=gpt-realtime';

const SESSION_UPDATE = JSON.stringify({
  type: 'session.update',
  session: {
    type: 'realtime',
    instructions: 'You are a helpful phone assistant for an internet provider. Keep answers short.',
    output_modalities: ['audio'],
    audio: {
      input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad', create_response: true, interrupt_response: false } },
      output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
    },
  },
});

const app = Fastify();
await app.register(formbody);
await app.register(websocket);

app.get('/healthz', async () => ({ status: 'ok' }));

app.post('/twilio/voice', async (request, reply) => {
  const signature = request.headers['x-twilio-signature'];
  const params = (request.body ?? {}) as Record<string, string>;
  if (!isValidTwilioSignature(authToken, typeof signature === 'string' ? signature : undefined, webhookSignedUrl(publicBaseUrl, request.url), params)) {
    return reply.code(403).send();
  }
  const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${toWebSocketOrigin(publicBaseUrl)}/twilio/media" /></Connect></Response>`;
  return reply.type('text/xml').send(twiml);
});

app.get(
  '/twilio/media',
  {
    websocket: true,
    preValidation: async (request, reply) => {
      const signature = request.headers['x-twilio-signature'];
      if (!isValidTwilioSignature(authToken, typeof signature === 'string' ? signature : undefined, mediaSignedUrl(publicBaseUrl, request.url), {})) {
        await reply.code(403).send();
      }
    },
  },
  (twilio) => {
    let streamSid: string | undefined;
    const upstream = new WebSocket(realtimeUrl, { headers: { Authorization: 'Bearer bench-local-key' }, perMessageDeflate: false });
    const pending: string[] = [];
    const toRealtime = (text: string): void => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else if (upstream.readyState === WebSocket.CONNECTING) pending.push(text);
    };
    upstream.on('open', () => {
      upstream.send(SESSION_UPDATE);
      for (const text of pending.splice(0)) upstream.send(text);
    });
    upstream.on('error', () => twilio.close(1011, 'realtime failed'));
    upstream.on('close', () => twilio.close());
    upstream.on('message', (data, isBinary) => {
      if (isBinary || streamSid === undefined) return;
      const event = JSON.parse(data.toString()) as { type?: string; delta?: string };
      if (event.type === 'response.output_audio.delta' && typeof event.delta === 'string') {
        twilio.send(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"${event.delta}"}}`);
      } else if (event.type === 'input_audio_buffer.speech_started') {
        twilio.send(`{"event":"clear","streamSid":"${streamSid}"}`);
        toRealtime('{"type":"response.cancel"}');
      }
    });
    twilio.on('message', (data: Buffer) => {
      let msg: { event?: string; streamSid?: string; media?: { payload?: string }; start?: { streamSid?: string } };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return;
      }
      if (msg.event === 'media' && typeof msg.media?.payload === 'string') {
        toRealtime(`{"type":"input_audio_buffer.append","audio":"${msg.media.payload}"}`);
      } else if (msg.event === 'start') {
        streamSid = msg.start?.streamSid ?? msg.streamSid;
      } else if (msg.event === 'stop') {
        upstream.close();
      }
    });
    twilio.on('close', () => upstream.close());
  },
);

// Exit cleanly on SIGTERM so `node --cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));
await app.listen({ host: '127.0.0.1', port });
