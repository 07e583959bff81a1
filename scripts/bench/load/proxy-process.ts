/**
 * Child process of the load bench's `ours-x2-proxy` rung: the round-robin TCP proxy (`tcp-proxy.ts`, health-checking
 * `/readyz`) in front of the server processes listed in `BACKEND_PORTS`, in a process of its own so its cost is
 * neither the servers' nor the bench's. Reports its port over IPC; exits when the bench disconnects.
 */
import { startTcpProxy } from './tcp-proxy.js';

const backends = (process.env.BACKEND_PORTS ?? '').split(',').map(Number);
if (backends.length === 0 || backends.some((port) => !(port > 0))) throw new Error(`BACKEND_PORTS must list ports, got ${process.env.BACKEND_PORTS}`);
const proxy = await startTcpProxy(backends, { healthPath: '/readyz', healthIntervalMs: 1_000 });
process.send?.({ type: 'ready', port: proxy.port });
process.on('disconnect', () => void proxy.close().then(() => process.exit(0)));
