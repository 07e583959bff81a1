/**
 * Builds the Fastify app: form parsing (Twilio webhooks are form-encoded; without it the body is empty and every
 * signature fails), the websocket plugin and every route. It never listens: `src/main.ts` does, tests inject.
 */
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { OutboundCallRegistry, type OutboundCallStates } from '../actions/outbound-call-registry.js';
import { OUTBOUND_STREAM_TOKEN_TTL_MS, type OutboundStreamTokens } from '../actions/outbound-calls.js';
import { SignedStreamTokens } from '../telephony/signed-stream-token.js';
import type { TwilioCallControl } from '../actions/twilio-call-control.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import type { CallHandler } from '../telephony/call-handler.js';
import { systemClock, type Clock } from '../telephony/clock.js';
import type { MediaRouteOptions, MediaSocketDecorator } from './media-route.js';
import { StreamTokenStore } from '../telephony/stream-token-store.js';
import { MemoryCallAdmissionStore, type CallAdmissionStore } from '../telephony/call-admission-store.js';
import { CallStatusVerifier, type CallStatusLookup } from '../telephony/call-status-verifier.js';
import { registerCallsRoute, withOutboundStatus } from './calls-route.js';
import { registerHealthRoute } from './health-route.js';
import { registerMediaRoute } from './media-route.js';
import { ConnectionGuard } from './connection-guard.js';
import { registerRequestLog } from './request-log.js';
import { createFormParser, TWILIO_FORM_MAX_BODY_BYTES } from './twilio-form-limits.js';
import { registerTwilioWebhookRoutes } from './twilio-webhook-routes.js';
import type { DrainState } from '../deploy/drain-state.js';
import { registerDrainGate } from '../deploy/drain-gate.js';

/** Largest inbound WebSocket frame: a Twilio media message is ~400 bytes; 64 KiB refuses abuse early. */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;

/** What an extra route may use of the app's call wiring (the console's softphone enters calls through it). */
export interface RouteContext {
  readonly callHandler: CallHandler;
  readonly tokenStore: StreamTokenStore;
  readonly clock: Clock;
  readonly config: Config;
  /** The "answered once" record of CallSids (a softphone call is admitted like a webhook's). */
  readonly admissions: CallAdmissionStore;
  /** Rate-limits the lines a peer can trigger. */
  readonly peerLog: RateLimitedLog;
}

/** Registers more routes on the app (the calls API, `/metrics`, the console); called before the app is ready. */
export type RouteRegistrar = (app: FastifyInstance, context: RouteContext) => void | Promise<void>;

/** Everything the app needs, injected. */
export interface AppDeps {
  readonly config: Config;
  /** The process's pino logger; Fastify uses it as its own, so request logs share redaction. */
  readonly logger: Logger;
  readonly callHandler: CallHandler;
  readonly clock?: Clock;
  /** Stream tokens; one per process by default, injectable so tests can inspect it. */
  readonly tokenStore?: StreamTokenStore;
  /**
   * Self-contained stream tokens with their shared single-use record (production: `SharedCallState`): the voice
   * webhook issues signed tokens and any instance accepts the stream. Per-process tokens without it.
   */
  readonly signedTokens?: MediaRouteOptions['signed'];
  /** The "answered once" record of CallSids; in memory per process by default. */
  readonly admissions?: CallAdmissionStore;
  /**
   * Twilio REST lookup of a call's status (`calls(sid).fetch()`); when set, an unknown CallSid is verified live
   * before it is answered. Production passes it when Twilio REST credentials are configured.
   */
  readonly callStatusLookup?: CallStatusLookup;
  /** How long a media socket may stay without `start` before it is closed. */
  readonly handshakeTimeoutMs?: number;
  /** Wraps each authenticated media socket before the handshake (e.g. the call recorder of `RECORD_CALLS`). */
  readonly decorateMediaSocket?: MediaSocketDecorator;
  /** Enables `POST /calls` (still 404 while `config.callsApiKey` is unset): Twilio REST control and call state. */
  readonly outbound?: {
    readonly control: TwilioCallControl;
    /** Outbound calls' state: the shared store's for N instances, this process's memory by default. */
    readonly registry?: OutboundCallStates;
    /** Agent names a call may request (the catalogue's). */
    readonly agents?: readonly string[];
  };
  /** The instance's drain phase: `/readyz` and the new-call gate read it. Always ready without it. */
  readonly drain?: DrainState;
  /** Extra routes (call records API, metrics). */
  readonly routes?: readonly RouteRegistrar[];
}

/** Creates the app with every route registered and ready; the caller listens or injects. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const tokenStore = deps.tokenStore ?? new StreamTokenStore({ ttlMs: deps.config.streamTokenTtlMs, clock });
  const admissions = deps.admissions ?? new MemoryCallAdmissionStore({ clock, answerWindowMs: deps.config.streamTokenTtlMs });
  // Typed as Fastify's base logger so the instance is the plain `FastifyInstance` the route modules take.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  // Every line a peer can trigger goes through one rate-limited log (Fastify's own request lines are off).
  const peerLog = new RateLimitedLog({ logger: deps.logger, clock });
  const limits = deps.config.http;
  const app = Fastify({
    loggerInstance,
    // Fastify's own per-request lines are off; `registerRequestLog` writes them rate-limited.
    logController: new LogController({ disableRequestLogging: true }),
    // No route takes a body larger than a webhook; the Twilio routes set their own (smaller) limit too.
    bodyLimit: 4 * TWILIO_FORM_MAX_BODY_BYTES,
    // Fastify's defaults are no limits at all: an idle or trickling client would hold its socket forever.
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s): check every second instead.
      connectionsCheckingInterval: 1_000,
    },
  });
  const guard = new ConnectionGuard({ maxUnauthenticated: limits.maxUnauthenticatedSockets, peerLog });
  guard.attach(app.server);
  registerRequestLog(app, peerLog);
  await app.register(formbody, { parser: createFormParser() });
  await app.register(websocket, { options: { maxPayload: MAX_WS_PAYLOAD_BYTES } });
  registerHealthRoute(app, deps.drain);
  if (deps.drain) registerDrainGate(app, deps.drain);
  const registry = deps.outbound ? (deps.outbound.registry ?? new OutboundCallRegistry(clock)) : undefined;
  const callHandler = registry ? withOutboundStatus(deps.callHandler, registry, deps.logger) : deps.callHandler;
  if (deps.outbound && registry) {
    // Signed outbound tokens when streams may land on any instance (their stream key is bound in the registry).
    const tokens: OutboundStreamTokens = deps.signedTokens
      ? { kind: 'signed', tokens: new SignedStreamTokens({ secret: deps.config.twilio.authToken, ttlMs: OUTBOUND_STREAM_TOKEN_TTL_MS }) }
      : { kind: 'per_process', store: tokenStore };
    registerCallsRoute(app, { config: deps.config, control: deps.outbound.control, tokens, registry, agents: deps.outbound.agents, peerLog });
  }
  const verifier = deps.callStatusLookup
    ? new CallStatusVerifier({
        lookup: deps.callStatusLookup,
        clock,
        logger: deps.logger,
        peerLog,
        timeoutMs: deps.config.twilio.verifyTimeoutMs,
        onError: deps.config.twilio.verifyOnError,
      })
    : undefined;
  // A stream naming an outbound stream key is checked against the registry (the shared store's in production).
  const signed = deps.signedTokens && registry && !deps.signedTokens.outboundCalls ? { ...deps.signedTokens, outboundCalls: registry } : deps.signedTokens;
  const issueToken = signed ? (callSid: string) => signed.tokens.issue(callSid) : undefined;
  registerTwilioWebhookRoutes(app, { config: deps.config, callHandler, tokenStore, issueToken, admissions, verifier, peerLog, guard });
  registerMediaRoute(app, {
    config: deps.config,
    callHandler,
    tokenStore,
    signed,
    clock,
    admissions,
    peerLog,
    guard,
    ...(deps.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: deps.handshakeTimeoutMs }),
    ...(deps.decorateMediaSocket === undefined ? {} : { decorateMediaSocket: deps.decorateMediaSocket }),
  });
  for (const register of deps.routes ?? []) await register(app, { callHandler, tokenStore, clock, config: deps.config, admissions, peerLog });
  await app.ready();
  return app;
}
