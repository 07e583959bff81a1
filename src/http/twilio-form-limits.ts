/**
 * Limits on Twilio's form-encoded webhooks, enforced before any signature work. Twilio's webhooks carry a few
 * dozen fields in a few KiB; a body of ~128k empty fields (1 MiB) once cost 0.3–0.5 s of main-thread work (parsing,
 * then `validateRequest` sorting every key for several URL variants) and stalled every live call's audio. Here a
 * body over the size limit is refused from its `Content-Length` before it is read (413), a body with too many
 * fields is refused by one scan before it is parsed (400), and any content type but the form Twilio sends gets 415
 * before the body is touched.
 */
import { parse } from 'node:querystring';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VoiceBotError } from '../errors.js';

/** Largest webhook body accepted: Twilio's voice webhook is ~1.5 KiB; 32 KiB leaves room without inviting abuse. */
export const TWILIO_FORM_MAX_BODY_BYTES = 32 * 1024;

/** Most fields a webhook may carry: Twilio sends ~20–40 (more with SIP headers); parsing 200 costs microseconds. */
export const TWILIO_FORM_MAX_FIELDS = 200;

/** The only content type Twilio webhooks use. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** A form refused before parsing; Fastify answers with its `statusCode`. */
class FormRefusedError extends VoiceBotError {
  readonly statusCode: number;

  constructor(code: string, message: string, statusCode: number) {
    super(code, message);
    this.statusCode = statusCode;
  }
}

/**
 * The form body parser (given to `@fastify/formbody`): counts the fields with one scan and refuses more than
 * `maxFields` with a 400, then parses with `node:querystring` (repeated keys become arrays).
 */
export function createFormParser(maxFields: number = TWILIO_FORM_MAX_FIELDS): (body: string) => Record<string, string | string[]> {
  return function parseTwilioForm(body) {
    let fields = body.length > 0 ? 1 : 0;
    for (let i = body.indexOf('&'); i !== -1; i = body.indexOf('&', i + 1)) {
      fields += 1;
      if (fields > maxFields) throw new FormRefusedError('FORM_TOO_MANY_FIELDS', `form has more than ${maxFields} fields`, 400);
    }
    return { ...parse(body) } as Record<string, string | string[]>;
  };
}

/**
 * onRequest hook, before the body is read: anything but `application/x-www-form-urlencoded` gets 415, a declared
 * `Content-Length` over the limit 413. (A chunked body over the limit is cut off by the route's `bodyLimit`.)
 */
export async function screenTwilioRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // Only a POST carries a form; a GET webhook's parameters are in its query string and it has no body to screen.
  if (request.method !== 'POST') return;
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (type !== FORM_CONTENT_TYPE) {
    await reply.code(415).send({ statusCode: 415, error: 'Unsupported Media Type', message: `Twilio webhooks are ${FORM_CONTENT_TYPE}` });
    return;
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > TWILIO_FORM_MAX_BODY_BYTES) {
    // Not a byte of the body is read: the socket goes as soon as the answer is written.
    reply.raw.once('finish', () => request.raw.socket?.destroy());
    await reply.code(413).send({ statusCode: 413, error: 'Payload Too Large', message: `Twilio webhooks are at most ${TWILIO_FORM_MAX_BODY_BYTES} bytes` });
  }
}

/**
 * onSend hook: a refused request's connection is closed after the answer. Its body is still on the wire (up to
 * 1 MiB in the flood this guards against); keeping the connection alive would make Node read and discard all of
 * it before the next request.
 */
export async function closeAfterRefusal(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode === 400 || reply.statusCode === 413 || reply.statusCode === 415) reply.header('connection', 'close');
  return payload;
}
