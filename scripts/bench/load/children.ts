/**
 * Child processes of the load bench: each runs `node --import tsx <file>` directly (no wrapper process, so the pid
 * is the process whose CPU and memory are read), and every one is killed when the bench exits, fails or is
 * interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Options of one child. */
export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** CPU list for `taskset -c` (e.g. "0" or "1-3"); taskset execs node, so the pid stays the node process's. */
  readonly cpus?: string | undefined;
  /** Collects stdout and stderr lines (the server's JSON logs) instead of discarding them. */
  readonly onLine?: (line: string) => void;
}

/**
 * CPU placement: with two or more cores the server gets core 0 and the load generators (fake, callers) the rest,
 * so the server's latency is not made of time slices lost to its own load (`BENCH_PIN=1`).
 */
export function cpuPlacement(pin: boolean): { readonly server: string | undefined; readonly load: string | undefined } {
  const cores = os.cpus().length;
  if (!pin || cores < 2) return { server: undefined, load: undefined };
  return { server: '0', load: cores === 2 ? '1' : `1-${cores - 1}` };
}

/** Starts `file` under tsx with an IPC channel; the child is tracked and killed on exit. */
export function spawnTsx(file: string, options: SpawnOptions = {}): ChildProcess {
  hookExit();
  const args = [...(options.nodeFlags ?? []), '--import', 'tsx', file];
  const [command, commandArgs] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let partial = '';
  const onData = (chunk: Buffer): void => {
    if (!options.onLine) return;
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') options.onLine(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return child;
}

/** Resolves with the first IPC message matching `type`, or rejects after `timeoutMs` or if the child exits. */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if ((message as { type?: unknown }).type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`child exited (code ${String(code)}) while waiting for "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${type}"`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
