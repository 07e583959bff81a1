/**
 * A cap on connections that have not proved they come from Twilio. Every TCP connection counts as
 * unauthenticated until a request on it passes a Twilio signature (webhooks) or its media stream presents a valid
 * token (the upgrade signature alone is a constant per deployment, so it proves little). When a new connection
 * would exceed the cap, the oldest unauthenticated one is closed: a flood of idle or trickling sockets cannot hold
 * the file descriptors a real webhook needs (EMFILE), and a fresh connection from Twilio, younger than the flood,
 * survives long enough to send its request. Authenticated connections (live calls) are never counted or closed.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RateLimitedLog } from '../rate-limited-log.js';

/** Options for {@link ConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** Unauthenticated connections held at once. */
  readonly maxUnauthenticated: number;
  readonly peerLog: RateLimitedLog;
}

/** Tracks unauthenticated connections of one HTTP server; see the file comment. */
export class ConnectionGuard {
  readonly #max: number;
  readonly #peerLog: RateLimitedLog;
  /** Insertion order is age order, so the first entry is the oldest. */
  readonly #unauthenticated = new Set<Socket>();
  #evicted = 0;

  constructor(options: ConnectionGuardOptions) {
    if (!(options.maxUnauthenticated >= 1)) throw new RangeError(`maxUnauthenticated must be >= 1, got ${options.maxUnauthenticated}`);
    this.#max = options.maxUnauthenticated;
    this.#peerLog = options.peerLog;
  }

  /** Unauthenticated connections open now. */
  get unauthenticated(): number {
    return this.#unauthenticated.size;
  }

  /** Connections closed to make room so far. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Watches every connection `server` accepts. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.#admit(socket));
  }

  /** The connection carried a request Twilio signed (or a stream with a valid token): it no longer counts. */
  trust(socket: unknown): void {
    this.#unauthenticated.delete(socket as Socket);
  }

  #admit(socket: Socket): void {
    while (this.#unauthenticated.size >= this.#max) {
      const oldest = this.#unauthenticated.values().next();
      if (oldest.done) break;
      this.#unauthenticated.delete(oldest.value);
      this.#evicted += 1;
      this.#peerLog.warn({ max: this.#max, evicted: this.#evicted }, 'unauthenticated connection closed to make room');
      oldest.value.destroy();
    }
    this.#unauthenticated.add(socket);
    socket.once('close', () => this.#unauthenticated.delete(socket));
  }
}
