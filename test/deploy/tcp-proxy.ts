/**
 * A round-robin TCP proxy on loopback, the smallest load balancer: each new connection goes to the next backend
 * in turn, bytes are piped both ways untouched (HTTP, keep-alive and WebSocket upgrades alike).
 */
import net, { type AddressInfo } from 'node:net';

/** The running proxy. */
export interface TcpProxy {
  readonly port: number;
  /** Backend index (into `backends`) each accepted connection went to, in accept order. */
  readonly routed: readonly number[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 on a free port and forwards to `backends` (ports on 127.0.0.1) in turn. */
export async function startTcpProxy(backends: readonly number[]): Promise<TcpProxy> {
  const routed: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const index = routed.length % backends.length;
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
  return {
    port: (server.address() as AddressInfo).port,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
