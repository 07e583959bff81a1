/**
 * WebSocket pings on the Realtime socket. A socket can stay "open" while its peer or the path to it is dead (a
 * stalled server, a NAT that dropped the flow): no `close` ever comes and the caller would sit in silence for the
 * rest of the call. A ping every `intervalMs` that is not answered by a pong within `timeoutMs` ends the socket
 * (`terminate`), which the client reports as a failed session, so the call owner hands the caller to the fallback.
 * Pongs are answered by the peer's WebSocket stack (RFC 6455 §5.5.2), so a busy but healthy server passes.
 */
import type { WebSocket } from 'ws';

/** Options for {@link startHeartbeat}. */
export interface HeartbeatOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Called once when a pong is overdue, just before the socket is terminated. */
  readonly onTimeout: (waitedMs: number) => void;
}

/** Starts pinging `socket`; returns the stop function (also stopped by the socket's close). */
export function startHeartbeat(socket: WebSocket, options: HeartbeatOptions): () => void {
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const stop = (): void => {
    stopped = true;
    clearTimeout(pongTimer);
    clearTimeout(pingTimer);
    socket.off('pong', onPong);
    socket.off('close', stop);
  };

  const ping = (): void => {
    if (stopped) return;
    const sentAt = Date.now();
    pongTimer = setTimeout(() => {
      if (stopped) return;
      stop();
      options.onTimeout(Date.now() - sentAt);
      socket.terminate();
    }, options.timeoutMs);
    try {
      socket.ping();
    } catch {
      // Not open any more: the close listener stops the heartbeat.
    }
  };

  function onPong(): void {
    clearTimeout(pongTimer);
    pongTimer = undefined;
    if (!stopped) pingTimer = setTimeout(ping, options.intervalMs);
  }

  socket.on('pong', onPong);
  socket.once('close', stop);
  pingTimer = setTimeout(ping, options.intervalMs);
  return stop;
}
