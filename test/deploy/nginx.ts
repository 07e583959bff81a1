/**
 * Runs Debian's nginx (when installed) on the configs under deploy/nginx/, for tests: `nginx -t` on them, and a
 * real nginx in front of server processes on loopback. The shipped file is included in the `http` context of a
 * minimal main config in a temporary prefix; only its addresses are rewritten (the listen port and the two
 * upstream ports), so what runs is what ships.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** The nginx binary, or undefined when nginx is not installed (the tests that need it are skipped). */
export const NGINX_BIN = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((candidate) => existsSync(candidate));

/** Directory of the shipped configs. */
export const NGINX_CONFIG_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../deploy/nginx');

/** Addresses the shipped configs use, replaced by a test's. */
const SHIPPED_LISTEN = 'listen 8080;';
const SHIPPED_BACKENDS = ['127.0.0.1:3001', '127.0.0.1:3002'] as const;

/** A prefix directory with a main config including `site` (already rewritten). */
async function preparePrefix(site: string): Promise<{ prefix: string; main: string }> {
  const prefix = await mkdtemp(path.join(tmpdir(), 'voicebot-nginx-'));
  for (const dir of ['logs', 'tmp/body', 'tmp/proxy']) await mkdir(path.join(prefix, dir), { recursive: true });
  // Workers run as nobody when the master is root: they buffer bodies under tmp/.
  await chmod(path.join(prefix, 'tmp/body'), 0o777);
  await chmod(path.join(prefix, 'tmp/proxy'), 0o777);
  await writeFile(path.join(prefix, 'site.conf'), site);
  const main = path.join(prefix, 'nginx.conf');
  await writeFile(
    main,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${path.join(prefix, 'nginx.pid')};`,
      `error_log ${path.join(prefix, 'logs/error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${path.join(prefix, 'tmp/body')};`,
      `  proxy_temp_path ${path.join(prefix, 'tmp/proxy')};`,
      `  include ${path.join(prefix, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  return { prefix, main };
}

/** The shipped config `name` with its listen port and upstream ports replaced. */
export async function rewrittenConfig(name: string, listenPort: number, backends: readonly [number, number]): Promise<string> {
  let text = await readFile(path.join(NGINX_CONFIG_DIR, name), 'utf8');
  if (!text.includes(SHIPPED_LISTEN)) throw new Error(`${name} does not contain "${SHIPPED_LISTEN}"`);
  text = text.replaceAll(SHIPPED_LISTEN, `listen 127.0.0.1:${listenPort};`);
  SHIPPED_BACKENDS.forEach((address, i) => (text = text.replaceAll(address, `127.0.0.1:${backends[i] ?? 0}`)));
  return text;
}

/** `nginx -t` on a site config (http context); resolves nginx's output, rejects with it when the test fails. */
export async function testNginxConfig(site: string): Promise<string> {
  if (!NGINX_BIN) throw new Error('nginx is not installed');
  const { prefix, main } = await preparePrefix(site);
  try {
    const { stderr } = await promisify(execFile)(NGINX_BIN, ['-t', '-p', prefix, '-e', path.join(prefix, 'logs/error.log'), '-c', main]);
    return stderr;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`nginx -t failed: ${stderr ?? String(error)}`, { cause: error });
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}

/** A running nginx. */
export interface RunningNginx {
  readonly port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts nginx with the shipped config `name` in front of `backends`; resolves once it accepts connections. */
export async function startNginx(name: string, backends: readonly [number, number]): Promise<RunningNginx> {
  if (!NGINX_BIN) throw new Error('nginx is not installed');
  const port = await freePort();
  const { prefix, main } = await preparePrefix(await rewrittenConfig(name, port, backends));
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', prefix, '-e', path.join(prefix, 'logs/error.log'), '-c', main], { stdio: 'pipe' });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    async stop() {
      child.kill('SIGQUIT');
      await exited;
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
