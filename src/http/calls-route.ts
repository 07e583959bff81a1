/**
 * `POST /calls`: places an outbound call that connects to this server, for an operator or a backend holding the
 * API key (`CALLS_API_KEY`, sent as `Authorization: Bearer <key>`). Disabled (404, as if absent) when the key is
 * unset. `GET /calls/:callSid` reads the call's state as status callbacks reported it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { placeOutboundCall, type OutboundStreamTokens } from '../actions/outbound-calls.js';
import type { OutboundCallStates } from '../actions/outbound-call-registry.js';
import type { TwilioCallControl } from '../actions/twilio-call-control.js';
import type { RateLimitedLog } from '../rate-limited-log.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { CallHandler, StatusCallback } from '../telephony/call-handler.js';
import { bearerToken as bearer, keyMatches } from './bearer-auth.js';

/** Path of the outbound call API. */
export const CALLS_PATH = '/calls';

/** Context entries at most; each becomes a `<Parameter>` (Twilio limits name + value to 500 characters). */
export const MAX_CONTEXT_ENTRIES = 10;

const phoneOrSip = z
  .string()
  .trim()
  .refine((v) => /^\+[1-9]\d{6,14}$/.test(v) || /^sips?:\S+@\S+$/.test(v), 'must be an E.164 number such as +15550100200 or a sip: URI');

const CallRequestSchema = z.strictObject({
  to: phoneOrSip,
  from: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number owned by the Twilio account').optional(),
  agent: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be an agent name from the catalogue').optional(),
  context: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'keys must be identifiers of at most 40 characters'), z.string().max(400))
    .refine((v) => Object.keys(v).length <= MAX_CONTEXT_ENTRIES, `must have at most ${MAX_CONTEXT_ENTRIES} entries`)
    .optional(),
  machineDetection: z.enum(['Enable', 'DetectMessageEnd']).optional(),
});

/** A validated `POST /calls` body. */
export type CallRequestBody = z.infer<typeof CallRequestSchema>;

/** Options for {@link registerCallsRoute}. */
export interface CallsRouteOptions {
  readonly config: Config;
  readonly control: TwilioCallControl;
  /** Per-process tokens for one instance; signed ones (bound through the registry) for N. */
  readonly tokens: OutboundStreamTokens;
  readonly registry: OutboundCallStates;
  /** Agent names an outbound call may ask for (the catalogue's); any snake_case name when omitted. */
  readonly agents?: readonly string[] | undefined;
  /** Rate-limits the refusal line (anyone can send requests without the key). */
  readonly peerLog?: RateLimitedLog | undefined;
}

/** Registers `POST /calls` and `GET /calls/:callSid`. */
export function registerCallsRoute(app: FastifyInstance, options: CallsRouteOptions): void {
  const { config, registry } = options;

  /** Answers 404 when disabled and 401 without the right key; true when the request may proceed. */
  function authorize(request: FastifyRequest, reply: FastifyReply): boolean {
    const expected = config.callsApiKey;
    if (expected === undefined) {
      void reply.code(404).send({ error: 'not_found' });
      return false;
    }
    const presented = bearer(request);
    if (presented === undefined || !keyMatches(presented, expected)) {
      if (options.peerLog) options.peerLog.warn({ presented: presented !== undefined }, 'outbound call request refused');
      else request.log.warn({ presented: presented !== undefined }, 'outbound call request refused');
      void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
      return false;
    }
    return true;
  }

  app.post(CALLS_PATH, async function placeCall(request, reply) {
    if (!authorize(request, reply)) return reply;
    const parsed = CallRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
      return reply.code(400).send({ error: 'invalid_body', issues });
    }
    const body = parsed.data;
    if (body.agent !== undefined && options.agents !== undefined && !options.agents.includes(body.agent)) {
      return reply.code(400).send({ error: 'invalid_body', issues: [{ field: 'agent', message: `unknown agent "${body.agent}"` }] });
    }
    const from = body.from ?? config.twilio.phoneNumber;
    if (from === undefined) {
      return reply
        .code(400)
        .send({ error: 'invalid_body', issues: [{ field: 'from', message: 'is required when TWILIO_PHONE_NUMBER is not set' }] });
    }
    const result = await placeOutboundCall(
      { to: body.to, from, agent: body.agent, context: body.context, machineDetection: body.machineDetection },
      { control: options.control, tokens: options.tokens, publicBaseUrl: config.publicBaseUrl, registry, logger: request.log as Logger },
    );
    if (!result.ok) {
      return reply.code(502).send({ error: 'twilio_failed', code: result.code ?? null, message: result.message });
    }
    return reply.code(201).send({ callSid: result.callSid, status: result.status });
  });

  app.get<{ Params: { callSid: string } }>(`${CALLS_PATH}/:callSid`, async function callState(request, reply) {
    if (!authorize(request, reply)) return reply;
    const state = await registry.get(request.params.callSid);
    if (!state) return reply.code(404).send({ error: 'not_found' });
    return reply.send(state);
  });
}

/**
 * Wraps the call handler so status callbacks also update the outbound registry (then reach the handler as before,
 * without waiting for the store's write).
 */
export function withOutboundStatus(handler: CallHandler, registry: OutboundCallStates, logger: Logger): CallHandler {
  return {
    onCallAnswered: (call) => handler.onCallAnswered(call),
    onStreamStarted: (stream) => handler.onStreamStarted(stream),
    ...(handler.streamEndedTwiml ? { streamEndedTwiml: (callSid: string) => handler.streamEndedTwiml?.(callSid) } : {}),
    onStatus: (status: StatusCallback) => {
      registry.update(status).catch((error: unknown) => logger.warn({ err: error, callSid: status.callSid }, 'outbound call state not updated'));
      handler.onStatus?.(status);
    },
  };
}
