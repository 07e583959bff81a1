/**
 * A faithful OpenAI Realtime (GA) server on loopback for tests, the offline demo and benchmarks. Each connection
 * runs a `FakeRealtimeConnection` from the same script; every client event (parsed JSON) and every server event is
 * recorded for assertions. No test-runner imports, so `scripts/` can use it too.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeRealtimeConnection, type WireEvent } from './realtime/fake-connection.js';
import type { EnergyVadOptions } from './realtime/energy-vad.js';
import type { FakeScript } from './realtime/script.js';

export type { FakeScript, FakeResponseScript, FakeTurnScript, FakeToolCallScript } from './realtime/script.js';
export { tone, silence, concatPcm, chunkPcm, pcmToBase64, base64ToPcm, FAKE_SAMPLES_PER_MS } from './realtime/script.js';
export type { WireEvent } from './realtime/fake-connection.js';

/** Server options; every field has a default. */
export interface RealtimeFakeServerOptions {
  readonly script?: FakeScript;
  /** Audio per `response.output_audio.delta` (default 100 ms). */
  readonly chunkMs?: number;
  /** 1 = real time, 0 = as fast as possible (default 0). */
  readonly realtimeFactor?: number;
  readonly vad?: Partial<EnergyVadOptions>;
  /** Audio deltas still sent after a `response.cancel` arrives (default 0, as the GA server). */
  readonly deltasAfterCancel?: number;
  /** Caller transcript this long after the commit (default 0; production: 300–700 ms). */
  readonly transcriptDelayMs?: number;
  /** A response's first audio this long after `response.created` (default 0; production: 600–1200 ms). */
  readonly firstAudioDelayMs?: number;
  /** The WebSocket handshake completes this long after the upgrade request (default 0; a slow session open). */
  readonly acceptDelayMs?: number;
  /** Accept every upgrade and then read and send nothing at all (pings go unanswered): a stalled server. */
  readonly stallOnAccept?: boolean;
}

/** Upgrades to refuse (HTTP 503) before accepting again: a provider refusing reconnects. */
interface AdmissionGate {
  refuse: number;
}

/** Model timing inside the ranges production shows, for tests, fixtures and the demo. */
export const REALISTIC_TIMING = Object.freeze({ transcriptDelayMs: 450, firstAudioDelayMs: 900, realtimeFactor: 0.25 });

/**
 * Timing for first-words measurements (`npm run first-audio`): first audio 800 ms after `response.create`, a 300 ms
 * session open, audio streamed at real time.
 */
export const REALISTIC_REALTIME_TIMING = Object.freeze({ realtimeFactor: 1, firstAudioDelayMs: 800, acceptDelayMs: 300 });

/** One recorded event and the connection (0-based, in accept order) it belongs to. */
export interface RecordedEvent {
  readonly connection: number;
  /** Position in the server's combined timeline of received and sent events. */
  readonly seq: number;
  readonly direction: 'client' | 'server';
  readonly event: WireEvent;
  /** `performance.now()` when the server received or sent it (latency measurements). */
  readonly atMs: number;
}

type Waiter = { readonly match: (record: RecordedEvent) => boolean; readonly resolve: (record: RecordedEvent) => void };

/** The running fake; `start()` it, point the client's `url` at `url`, `close()` it after the test. */
export class RealtimeFakeServer {
  private readonly wss: WebSocketServer;
  private readonly options: RealtimeFakeServerOptions;
  private readonly gate: AdmissionGate;
  private readonly clientLog: RecordedEvent[] = [];
  private readonly serverLog: RecordedEvent[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly connections: FakeRealtimeConnection[] = [];
  private readonly clientWaiters = new Set<Waiter>();
  private readonly serverWaiters = new Set<Waiter>();
  private idCounter = 0;
  private seq = 0;
  private readonly timelineLog: RecordedEvent[] = [];
  private accepted = 0;
  /** Authorization headers of every accepted upgrade, in order (the real server requires a bearer token). */
  readonly authorizations: string[] = [];

  private constructor(wss: WebSocketServer, options: RealtimeFakeServerOptions, gate: AdmissionGate) {
    this.wss = wss;
    this.options = options;
    this.gate = gate;
    wss.on('connection', (socket, request) => this.accept(socket, request.headers.authorization ?? ''));
  }

  /** Listens on 127.0.0.1 on a free port. */
  static async start(options: RealtimeFakeServerOptions = {}): Promise<RealtimeFakeServer> {
    const acceptDelayMs = options.acceptDelayMs ?? 0;
    const gate: AdmissionGate = { refuse: 0 };
    const wss = await new Promise<WebSocketServer>((resolve, reject) => {
      const server = new WebSocketServer({
        host: '127.0.0.1',
        port: 0,
        // Like the real endpoint: no bearer token, no session. The answer may be held to model a slow handshake.
        verifyClient: (info, done) => {
          const ok = /^Bearer \S+/.test(info.req.headers.authorization ?? '');
          const refused = ok && gate.refuse > 0;
          if (refused) gate.refuse -= 1;
          const answer = (): void => (refused ? done(false, 503) : done(ok, 401));
          if (acceptDelayMs > 0) setTimeout(answer, acceptDelayMs);
          else answer();
        },
      });
      server.once('listening', () => resolve(server));
      server.once('error', reject);
    });
    return new RealtimeFakeServer(wss, options, gate);
  }

  /** The endpoint to pass as the client's `url`. */
  get url(): string {
    const { port } = this.wss.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/v1/realtime`;
  }

  /** Sockets currently open. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Sockets accepted since start. */
  get totalConnections(): number {
    return this.accepted;
  }

  /** Client events received, optionally of one type, in arrival order. */
  clientEvents(type?: string): WireEvent[] {
    return this.clientLog.filter((r) => type === undefined || r.event.type === type).map((r) => r.event);
  }

  /** Server events sent, optionally of one type, in send order. */
  serverEvents(type?: string): WireEvent[] {
    return this.serverLog.filter((r) => type === undefined || r.event.type === type).map((r) => r.event);
  }

  /** Every received and sent event in the order the server handled them. */
  timeline(): readonly RecordedEvent[] {
    return this.timelineLog;
  }

  /** Client events with their connection index. */
  clientRecords(): readonly RecordedEvent[] {
    return this.clientLog;
  }

  /** Milliseconds of audio generated for an assistant item on a connection (default: the latest). */
  generatedMs(itemId: string, connection = this.connections.length - 1): number {
    return this.connections[connection]?.generatedMs(itemId) ?? 0;
  }

  /** Sends an arbitrary server event on a connection (default: the latest); for fault injection. */
  inject(event: WireEvent, connection = this.connections.length - 1): void {
    this.connections[connection]?.inject(event);
  }

  /** Resolves with the first client event (already received or future) that matches. */
  waitForClientEvent(match: string | ((event: WireEvent) => boolean), timeoutMs = 5_000): Promise<WireEvent> {
    return this.waitFor(this.clientLog, this.clientWaiters, match, timeoutMs);
  }

  /** Resolves with the first server event (already sent or future) that matches. */
  waitForServerEvent(match: string | ((event: WireEvent) => boolean), timeoutMs = 5_000): Promise<WireEvent> {
    return this.waitFor(this.serverLog, this.serverWaiters, match, timeoutMs);
  }

  /**
   * Stalls every open connection: the server stops reading (so pings go unanswered) and sends nothing more, while
   * the sockets stay open, as a hung server or a dead path looks from the client.
   */
  stall(): void {
    for (const connection of this.connections) connection.dispose();
    for (const socket of this.sockets) pauseReading(socket);
  }

  /** Refuses the next `count` upgrades with HTTP 503 (a provider outage), then accepts again. */
  refuseConnections(count: number): void {
    this.gate.refuse = count;
  }

  /** Closes every client socket from the server side (a remote hang-up), keeping the server listening. */
  dropConnections(code = 1011, reason = 'server closed the session'): void {
    for (const socket of this.sockets) socket.close(code, reason);
  }

  /** Closes all sockets and the listener; every timer of every connection is stopped. */
  async close(): Promise<void> {
    for (const connection of this.connections) connection.dispose();
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket, authorization: string): void {
    const index = this.accepted;
    this.accepted += 1;
    this.authorizations.push(authorization);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.options.stallOnAccept) {
      pauseReading(socket);
      return;
    }
    const connection = new FakeRealtimeConnection(socket, {
      script: this.options.script ?? {},
      chunkMs: this.options.chunkMs ?? 100,
      realtimeFactor: this.options.realtimeFactor ?? 0,
      vad: { thresholdRms: this.options.vad?.thresholdRms ?? 500, hangoverMs: this.options.vad?.hangoverMs ?? 500 },
      deltasAfterCancel: this.options.deltasAfterCancel ?? 0,
      timing: { transcriptDelayMs: this.options.transcriptDelayMs ?? 0, firstAudioDelayMs: this.options.firstAudioDelayMs ?? 0 },
      nextId: (prefix) => `${prefix}_${(++this.idCounter).toString().padStart(6, '0')}`,
      onClientEvent: (event) =>
        this.record(this.clientLog, this.clientWaiters, { connection: index, seq: this.seq++, direction: 'client', event, atMs: performance.now() }),
      onServerEvent: (event) =>
        this.record(this.serverLog, this.serverWaiters, { connection: index, seq: this.seq++, direction: 'server', event, atMs: performance.now() }),
    });
    this.connections.push(connection);
  }

  private record(log: RecordedEvent[], waiters: Set<Waiter>, record: RecordedEvent): void {
    log.push(record);
    this.timelineLog.push(record);
    for (const waiter of waiters) {
      if (waiter.match(record)) waiter.resolve(record);
    }
  }

  private waitFor(
    log: readonly RecordedEvent[],
    waiters: Set<Waiter>,
    match: string | ((event: WireEvent) => boolean),
    timeoutMs: number,
  ): Promise<WireEvent> {
    const test = typeof match === 'string' ? (e: WireEvent) => e.type === match : match;
    const found = log.find((r) => test(r.event));
    if (found) return Promise.resolve(found.event);
    return new Promise<WireEvent>((resolve, reject) => {
      const waiter: Waiter = {
        match: (r) => test(r.event),
        resolve: (r) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(r.event);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof match === 'string' ? match : 'a matching event'}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }
}

/** Stops reading a server-side socket (`ws` keeps the net.Socket as `_socket`): nothing it is sent gets answered. */
function pauseReading(socket: WebSocket): void {
  (socket as unknown as { _socket?: { pause(): void } })._socket?.pause();
}
