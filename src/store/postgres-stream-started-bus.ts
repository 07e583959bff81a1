/**
 * The stream-started bus over Postgres `LISTEN/NOTIFY`: one dedicated connection per instance (outside the pool, which
 * would hand a listening client back to other queries) listens on {@link STREAM_STARTED_CHANNEL} and sends the
 * instance's own announcements. The payload is JSON `{"i": <instance nonce>, "c": <CallSid>}`; an instance ignores
 * its own. When the connection drops it reconnects with backoff (announcements sent meanwhile are lost: those
 * pre-warms live to their TTL); `close()` ends it for good (drain, shutdown).
 *
 * Postgres facts: NOTIFY is delivered to every session LISTENing on the channel when the sending transaction commits
 * (a plain statement commits at once); payloads are limited to 8000 bytes (ours are under 100).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { StreamStartedListeners, type StreamStartedBus, type StreamStartedListener } from './stream-started-bus.js';

/** The channel every instance listens on. */
export const STREAM_STARTED_CHANNEL = 'voicebot_stream_started';

/** First and longest wait before reconnecting a dropped listening connection. */
export const LISTEN_RECONNECT_MIN_MS = 250;
export const LISTEN_RECONNECT_MAX_MS = 5_000;

/** A CallSid as Twilio writes it (and the test harnesses' synthetic ones): letters and digits. */
const CALL_SID = /^[A-Za-z0-9]{1,64}$/;

/** Options of {@link openPostgresStreamStartedBus}. */
export interface PostgresStreamStartedBusOptions {
  readonly connectionString: string;
  readonly logger: Logger;
  /** `application_name` of the listening session (shown in `pg_stat_activity`). */
  readonly applicationName?: string;
}

/** The bus on one dedicated Postgres connection. */
class PostgresStreamStartedBus implements StreamStartedBus {
  readonly #options: PostgresStreamStartedBusOptions;
  /** Tells this instance's announcements from the others' on the shared channel. */
  readonly #instance = randomBytes(8).toString('hex');
  readonly #listeners = new StreamStartedListeners();
  #client: pg.Client | undefined;
  #closed = false;
  #retryMs = LISTEN_RECONNECT_MIN_MS;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: PostgresStreamStartedBusOptions) {
    this.#options = options;
  }

  /** Connects and LISTENs; rejects when the server cannot be reached (at boot). */
  async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      application_name: this.#options.applicationName ?? 'voicebot-stream-started',
    });
    client.on('notification', (message) => this.#receive(message.payload));
    // 'error' then 'end' on a dropped connection: log once, reconnect on 'end'.
    client.on('error', (error) => this.#options.logger.warn({ err: error }, 'stream-started listener connection failed'));
    try {
      await client.connect();
      await client.query(`LISTEN ${STREAM_STARTED_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => this.#dropped(client));
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#retryMs = LISTEN_RECONNECT_MIN_MS;
  }

  publish(callSid: string): void {
    const client = this.#client;
    if (!client) {
      this.#options.logger.warn({ callSid }, 'stream-started listener is reconnecting; announcement not sent');
      return;
    }
    const payload = JSON.stringify({ i: this.#instance, c: callSid });
    client.query('SELECT pg_notify($1, $2)', [STREAM_STARTED_CHANNEL, payload]).catch((error: unknown) => {
      this.#options.logger.warn({ err: error, callSid }, 'stream-started announcement failed');
    });
  }

  subscribe(listener: StreamStartedListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#listeners.clear();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #receive(payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      parsed = undefined;
    }
    const { i, c } = (parsed ?? {}) as { i?: unknown; c?: unknown };
    if (typeof i !== 'string' || typeof c !== 'string' || !CALL_SID.test(c)) {
      this.#options.logger.warn({ bytes: payload?.length ?? 0 }, 'malformed stream-started announcement ignored');
      return;
    }
    if (i === this.#instance) return;
    this.#listeners.emit(c);
  }

  #dropped(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    if (this.#closed) return;
    this.#options.logger.warn({ retryMs: this.#retryMs }, 'stream-started listener disconnected; reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, LISTEN_RECONNECT_MAX_MS);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed) return;
      this.connect().then(
        () => this.#options.logger.info('stream-started listener reconnected'),
        (error: unknown) => {
          this.#options.logger.warn({ err: error, retryMs: this.#retryMs }, 'stream-started listener reconnect failed');
          this.#scheduleReconnect();
        },
      );
    }, wait);
    this.#retryTimer.unref();
  }
}

/** Opens the bus and starts listening; throws a readable error when Postgres cannot be reached. */
export async function openPostgresStreamStartedBus(options: PostgresStreamStartedBusOptions): Promise<StreamStartedBus> {
  const bus = new PostgresStreamStartedBus(options);
  try {
    await bus.connect();
  } catch (error) {
    throw new Error(`Cannot listen for stream announcements on Postgres: ${(error as Error).message}`, { cause: error });
  }
  return bus;
}
