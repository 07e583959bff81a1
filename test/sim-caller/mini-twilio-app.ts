/**
 * A minimal stand-in for the bot's HTTP edge, used until tests can run the caller against the real app: it checks
 * Twilio signatures with the twilio library exactly as the server must, answers TwiML with a `<Connect action>`,
 * a `<Stream>` and a token `<Parameter>`, and hands every media-socket message to a scripted bot.
 */
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import twilio from 'twilio';

export const PUBLIC_BASE_URL = 'https://bot.example.test';
export const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
export const STREAM_TOKEN = 'per-call-token-42';

/** What the scripted bot can do on the socket. */
export interface BotSocket {
  send(msg: object): void;
  sendRaw(data: string | Buffer): void;
  close(): void;
}

/** Everything the app received, for assertions. */
export interface MiniAppRecord {
  readonly posts: { path: string; form: Record<string, string>; signatureValid: boolean }[];
  readonly messages: Record<string, unknown>[];
  upgradeSignatureValid: boolean | undefined;
  closedByClient: boolean;
}

function signatureValid(request: FastifyRequest, url: string, params: Record<string, string>): boolean {
  const signature = request.headers['x-twilio-signature'];
  return typeof signature === 'string' && twilio.validateRequest(AUTH_TOKEN, signature, url, params);
}

/** Builds the app; `bot` sees each parsed inbound message with the socket. */
export async function buildMiniTwilioApp(bot: (msg: Record<string, unknown>, socket: BotSocket) => void = () => {}): Promise<{ app: FastifyInstance; record: MiniAppRecord }> {
  const record: MiniAppRecord = { posts: [], messages: [], upgradeSignatureValid: undefined, closedByClient: false };
  const app = Fastify();
  await app.register(formbody);
  await app.register(websocket);
  for (const path of ['/twilio/voice', '/twilio/status', '/twilio/stream-ended']) {
    app.post(path, async (request, reply) => {
      const form = request.body as Record<string, string>;
      const valid = signatureValid(request, `${PUBLIC_BASE_URL}${request.url}`, form);
      record.posts.push({ path, form, signatureValid: valid });
      if (!valid) return reply.code(403).send('bad signature');
      if (path !== '/twilio/voice') return reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      const response = new twilio.twiml.VoiceResponse();
      const connect = response.connect({ action: `${PUBLIC_BASE_URL}/twilio/stream-ended` });
      const stream = connect.stream({ url: `wss://bot.example.test/twilio/media` });
      stream.parameter({ name: 'token', value: STREAM_TOKEN });
      stream.parameter({ name: 'note', value: 'a & b <c>' });
      return reply.type('text/xml').send(response.toString());
    });
  }
  app.get(
    '/twilio/media',
    {
      websocket: true,
      preValidation: async (request, reply) => {
        record.upgradeSignatureValid = signatureValid(request, `wss://bot.example.test${request.url}`, {});
        if (!record.upgradeSignatureValid) await reply.code(403).send('bad signature');
      },
    },
    (socket) => {
      let closing = false;
      const botSocket: BotSocket = {
        send: (msg) => socket.send(JSON.stringify(msg)),
        sendRaw: (data) => socket.send(data),
        close: () => {
          closing = true;
          socket.close(1000);
        },
      };
      socket.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        record.messages.push(msg);
        bot(msg, botSocket);
      });
      socket.on('close', () => {
        if (!closing) record.closedByClient = true;
      });
    },
  );
  await app.ready();
  return { app, record };
}
