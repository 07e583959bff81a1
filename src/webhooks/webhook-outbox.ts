/**
 * Delivers `call.started` and `call.ended` events to `CALL_WEBHOOK_URL` from the persisted outbox: each event is
 * written first (so a restart loses nothing), then POSTed signed (`webhook-signature.ts`). A 2xx marks it delivered
 * and it is never sent again; anything else (an error status, a timeout, a refused connection) retries with
 * exponential backoff and jitter (`CALL_WEBHOOK_RETRY_BASE_MS` doubling up to `CALL_WEBHOOK_RETRY_MAX_MS`) until the
 * event is 24 h old, then it is given up and logged. Delivery is at least once: a crash between the receiver's 2xx
 * and our write of it re-sends the event with the same `X-Voicebot-Event-Id`, which receivers de-duplicate on.
 */
import { randomUUID } from 'node:crypto';
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallWebhookConfig } from '../records/record-config.js';
import type { SqlDb } from '../records/sql-db.js';
import { OutboxStore, type OutboxEvent } from './outbox-store.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** How long an event is retried before it is given up. */
export const WEBHOOK_GIVE_UP_MS = 24 * 60 * 60 * 1000;
/** One delivery attempt's timeout. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How often the outbox looks for due events (it also looks at once when an event is added). */
export const OUTBOX_POLL_MS = 1_000;
/** A claimed attempt is retried by anyone after this long without an outcome (its sender died). */
const CLAIM_LEASE_MS = WEBHOOK_TIMEOUT_MS + 50_000;
/** Events sent per poll at most. */
const BATCH = 20;

/** Event types. */
export type WebhookEventType = 'call.started' | 'call.ended';

/** Sends one HTTP request; `fetch` in production, tests may wrap it. */
export type WebhookFetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ readonly status: number }>;

/** Options of {@link WebhookOutbox}. */
export interface WebhookOutboxOptions {
  readonly db: SqlDb;
  readonly config: CallWebhookConfig;
  readonly logger: Logger;
  readonly fetch?: WebhookFetch;
  /** Epoch ms. */
  readonly now?: () => number;
  /** In [0, 1); jitter source. */
  readonly random?: () => number;
  readonly pollMs?: number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failed ones: `base × 2^(attempt-1)` capped at `max`, then
 * "equal jitter" (half fixed, half random) so many failed events do not retry in lockstep.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random);
}

/** The outbox of one process; start it once, close it on shutdown. */
export class WebhookOutbox {
  readonly store: OutboxStore;
  readonly #options: WebhookOutboxOptions;
  readonly #now: () => number;
  readonly #fetch: WebhookFetch;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDueMs = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: WebhookOutboxOptions) {
    this.#options = options;
    this.store = new OutboxStore(options.db);
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Starts polling (pending events from before a restart go out now). */
  start(): void {
    this.#schedule(0);
  }

  /** Persists an event and kicks delivery; resolves its id once stored. */
  async enqueue(type: WebhookEventType, callSid: string, data: unknown): Promise<string> {
    const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
    const createdAtMs = this.#now();
    const body = JSON.stringify({ id: eventId, type, createdAt: new Date(createdAtMs).toISOString(), data });
    await this.store.add({ eventId, eventType: type, callSid, body, createdAtMs });
    this.#kick();
    return eventId;
  }

  /** Runs one delivery pass now (tests, shutdown); resolves when it is done. */
  async deliverDue(): Promise<void> {
    this.#kick();
    while (this.#running) await this.#running;
  }

  /** Stops polling and waits for the attempt in flight. Undelivered events stay in the outbox for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    while (this.#running) await this.#running;
  }

  /** Arms the next pass in `delayMs`, unless one is already armed sooner. */
  #schedule(delayMs: number): void {
    if (this.#closed) return;
    const dueMs = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#timerDueMs <= dueMs) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDueMs = dueMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#kick();
    }, delayMs);
    this.#timer.unref();
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass()
      .catch((error: unknown) => this.#options.logger.warn({ err: toError(error) }, 'webhook outbox pass failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        } else {
          this.#schedule(this.#options.pollMs ?? OUTBOX_POLL_MS);
        }
      });
  }

  async #pass(): Promise<void> {
    const due = await this.store.due(this.#now(), BATCH);
    for (const event of due) {
      if (this.#closed) return;
      if (!(await this.store.claim(event, this.#now() + CLAIM_LEASE_MS))) continue;
      await this.#attempt({ ...event, attempts: event.attempts + 1 });
    }
    if (due.length === BATCH) this.#again = true;
  }

  async #attempt(event: OutboxEvent): Promise<void> {
    const { config, logger } = this.#options;
    const log = { eventId: event.eventId, eventType: event.eventType, callSid: event.callSid, attempt: event.attempts };
    let problem: string;
    try {
      const response = await this.#fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'voicebot-webhook/1',
          [EVENT_ID_HEADER]: event.eventId,
          [SIGNATURE_HEADER]: signWebhook(config.secret, event.body, this.#now() / 1000),
        },
        body: event.body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (response.status >= 200 && response.status < 300) {
        await this.store.delivered(event.eventId, this.#now());
        logger.info({ ...log, status: response.status }, 'webhook delivered');
        return;
      }
      problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = toError(error).message;
    }
    const now = this.#now();
    if (now - event.createdAtMs >= WEBHOOK_GIVE_UP_MS) {
      await this.store.failed(event.eventId, now, problem);
      logger.error({ ...log, problem }, 'webhook given up after 24 h');
      return;
    }
    const delay = retryDelayMs(event.attempts, config.retryBaseMs, config.retryMaxMs, (this.#options.random ?? Math.random)());
    // Never later than the give-up time, so the last attempt happens at 24 h rather than past it.
    const next = Math.min(now + delay, event.createdAtMs + WEBHOOK_GIVE_UP_MS);
    await this.store.retryAt(event.eventId, next, problem);
    logger.warn({ ...log, problem, retryInMs: next - now }, 'webhook delivery failed; will retry');
    if (next - now < (this.#options.pollMs ?? OUTBOX_POLL_MS)) this.#schedule(next - now);
  }
}
