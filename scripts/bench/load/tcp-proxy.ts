/**
 * A round-robin TCP proxy on loopback, the smallest load balancer: each new connection goes to the next backend
 * in turn, bytes are piped both ways untouched (HTTP, keep-alive and WebSocket upgrades alike). With `healthPath`
 * it also checks each backend the way nginx Plus or a cloud balancer does: a GET every `healthIntervalMs`; a backend
 * answering anything but 200 (a draining instance's `/readyz` says 503) or not answering gets no new connection
 * until it answers 200 again. Connections already open stay where they are.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Path checked on every backend (`/readyz`); no health checks without it. */
  readonly healthPath?: string;
  readonly healthIntervalMs?: number;
}

/** The running proxy. */
export interface TcpProxy {
  readonly port: number;
  /** Backend index (into `backends`) each accepted connection went to, in accept order. */
  readonly routed: readonly number[];
  /** Whether each backend takes new connections (all true without health checks). */
  readonly healthy: readonly boolean[];
  /** Resolves once the backend's health is `healthy` (at once when it already is). */
  health(index: number, healthy: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 on a free port and forwards to `backends` (ports on 127.0.0.1) in turn. */
export async function startTcpProxy(backends: readonly number[], options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const routed: number[] = [];
  const healthy = backends.map(() => true);
  const waiters: Array<{ index: number; healthy: boolean; resolve: () => void }> = [];
  const sockets = new Set<net.Socket>();
  let next = 0;
  const pick = (): number => {
    for (let tried = 0; tried < backends.length; tried += 1) {
      const index = (next + tried) % backends.length;
      if (healthy[index]) {
        next = index + 1;
        return index;
      }
    }
    return -1;
  };
  const server = net.createServer((client) => {
    const index = pick();
    if (index < 0) {
      client.destroy();
      return;
    }
    routed.push(index);
    const upstream = net.connect({ host: '127.0.0.1', port: backends[index] ?? 0 });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const setHealth = (index: number, value: boolean): void => {
    healthy[index] = value;
    for (const waiter of waiters.splice(0)) {
      if (waiter.index === index && waiter.healthy === value) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const check = (index: number): void => {
    const request = http.get({ host: '127.0.0.1', port: backends[index], path: options.healthPath, agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      setHealth(index, response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => setHealth(index, false));
  };
  const timer = options.healthPath ? setInterval(() => backends.forEach((_, index) => check(index)), options.healthIntervalMs ?? 200) : undefined;

  return {
    port: (server.address() as AddressInfo).port,
    routed,
    healthy,
    health: (index, value) =>
      healthy[index] === value ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ index, healthy: value, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
