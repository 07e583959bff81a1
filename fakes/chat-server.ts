/**
 * A local stand-in for the Chat Completions endpoint on 127.0.0.1: records every request body and answers with the
 * assistant content a test chooses (valid JSON, broken JSON, an HTTP error, or a reply delayed past the client's
 * timeout).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake answers one request. */
export type ChatReply =
  | { readonly kind: 'content'; readonly content: string; readonly delayMs?: number }
  | { readonly kind: 'status'; readonly status: number };

/** A running fake with its base URL (pass it as the client's `baseURL`). */
export interface ChatServerFake {
  readonly baseUrl: string;
  /** Request bodies received, parsed, in order. */
  readonly requests: Record<string, unknown>[];
  /** Sets the reply for following requests. */
  reply(reply: ChatReply): void;
  close(): Promise<void>;
}

/** Starts the fake on a free loopback port. */
export async function startChatServer(initial: ChatReply = { kind: 'content', content: '{}' }): Promise<ChatServerFake> {
  let current = initial;
  const requests: Record<string, unknown>[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      requests.push(body);
      const reply = current;
      if (reply.kind === 'status') {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'fake failure', type: 'server_error', code: null } }));
        return;
      }
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-fake-${requests.length}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: reply.content, refusal: null },
                finish_reason: 'stop',
                logprobs: null,
              },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          }),
        );
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    reply(reply) {
      current = reply;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
