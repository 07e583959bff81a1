/**
 * Places an outbound call through a running server's `POST /calls`, so the stream token is issued by the server
 * that will accept the media stream (a token issued in this process would be refused there).
 *
 *   npx tsx scripts/place-call.ts --to +15550123456 [--from +15550109999] [--agent billing] \
 *     [--context orderId=A-1042 --context reason=reminder] [--amd Enable|DetectMessageEnd] [--server http://127.0.0.1:5050]
 *
 * The API key is `CALLS_API_KEY` from the environment (read through `loadConfig`); `--server` defaults to the
 * local server on `PORT`.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';

/** What the CLI sends. */
export interface PlaceCallArgs {
  readonly server: string;
  readonly apiKey: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** POSTs the request and returns the HTTP status and JSON answer. */
export async function placeCallViaApi(args: PlaceCallArgs, fetchImpl: typeof fetch = fetch): Promise<{ status: number; json: unknown }> {
  const response = await fetchImpl(new URL('/calls', args.server), {
    method: 'POST',
    headers: { authorization: `Bearer ${args.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(args.body),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

/** Turns repeated `key=value` options into a context object; throws naming the bad entry. */
export function parseContext(entries: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`--context must be key=value, got "${entry}"`);
    context[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return context;
}

/** `--help` text. */
export const PLACE_CALL_USAGE = `usage: npx tsx scripts/place-call.ts --to <+1555…> [--from <+1555…>] [--agent <name>] [--context key=value]… [--amd Enable|DetectMessageEnd] [--server <http origin>]
Places an outbound call through a running server's POST /calls (CALLS_API_KEY from the environment or .env).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      to: { type: 'string' },
      from: { type: 'string' },
      agent: { type: 'string' },
      context: { type: 'string', multiple: true },
      amd: { type: 'string' },
      server: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${PLACE_CALL_USAGE}\n`);
    return;
  }
  if (!values.to) throw new Error('--to is required (E.164, e.g. +15550123456)');
  const config = loadConfig();
  if (!config.callsApiKey) throw new Error('CALLS_API_KEY is not set: the server refuses outbound calls without it');
  const context = parseContext(values.context ?? []);
  const body = {
    to: values.to,
    ...(values.from ? { from: values.from } : {}),
    ...(values.agent ? { agent: values.agent } : {}),
    ...(Object.keys(context).length > 0 ? { context } : {}),
    ...(values.amd ? { machineDetection: values.amd } : {}),
  };
  const server = values.server ?? `http://127.0.0.1:${config.port}`;
  const { status, json } = await placeCallViaApi({ server, apiKey: config.callsApiKey, body });
  process.stdout.write(`${JSON.stringify({ status, ...(json && typeof json === 'object' ? json : {}) })}\n`);
  if (status !== 201) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
