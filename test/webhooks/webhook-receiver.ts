/**
 * A local webhook receiver on loopback that does what the README tells integrators to do: read the raw body,
 * verify `X-Voicebot-Signature` with the shared secret (replay window included) and de-duplicate on
 * `X-Voicebot-Event-Id`. `failures` makes its next N requests answer 500.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/webhooks/webhook-signature.js';

export interface ReceivedEvent {
  readonly eventId: string;
  readonly verified: boolean;
  readonly status: number;
  readonly body: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
}

export class WebhookReceiver {
  readonly requests: ReceivedEvent[] = [];
  /** Events accepted with a 2xx, by id (a duplicate would show as a second request with the same id). */
  readonly accepted: ReceivedEvent[] = [];
  failures = 0;
  readonly #server: Server;
  readonly #secret: string;

  private constructor(secret: string) {
    this.#secret = secret;
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const header = request.headers[SIGNATURE_HEADER];
        const verified = verifyWebhookSignature({ secret: this.#secret, header: typeof header === 'string' ? header : undefined, rawBody }).ok;
        const eventId = String(request.headers[EVENT_ID_HEADER] ?? '');
        let status = verified ? 200 : 400;
        if (verified && this.failures > 0) {
          this.failures -= 1;
          status = 500;
        }
        const event: ReceivedEvent = { eventId, verified, status, body: JSON.parse(rawBody) as ReceivedEvent['body'] };
        this.requests.push(event);
        if (status === 200 && !this.accepted.some((e) => e.eventId === eventId)) this.accepted.push(event);
        response.writeHead(status).end();
      });
    });
  }

  static async start(secret: string): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret);
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/voicebot`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
