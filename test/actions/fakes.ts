/**
 * Hand-written fakes for the telephony action tests: a `twilio` REST client that records every request exactly as
 * it would be sent (and can fail on demand), and a Realtime session stand-in driven by the test.
 */
import type { CallCreateParams, CallUpdateParams, TwilioRestClient } from '../../src/actions/twilio-call-control.js';
import type { ActionRealtime } from '../../src/actions/call-actions.js';
import type { RealtimeClientEvent, RealtimeClientListener, ResponseRequest, SendResult } from '../../src/infrastructure/realtime-client-events.js';

/** One REST request as the fake received it. */
export type RecordedRestRequest =
  | { readonly op: 'update'; readonly callSid: string; readonly params: CallUpdateParams }
  | { readonly op: 'create'; readonly params: CallCreateParams };

/** An error shaped like twilio's `RestException`. */
export function restError(status: number, code: number, message: string): Error {
  return Object.assign(new Error(message), { status, code });
}

/** Records requests; `failNext` makes the next request reject with the given error; `hang` makes it never settle. */
export class FakeTwilioRest implements TwilioRestClient {
  readonly requests: RecordedRestRequest[] = [];
  #failures: Array<Error | 'hang'> = [];
  #nextSid = 1;
  readonly calls: TwilioRestClient['calls'];

  constructor() {
    const calls = (callSid: string) => ({
      update: (params: CallUpdateParams) => {
        this.requests.push({ op: 'update', callSid, params });
        return this.#answer({ sid: callSid, status: params.status ?? 'in-progress' });
      },
    });
    calls.create = (params: CallCreateParams) => {
      this.requests.push({ op: 'create', params });
      const sid = `CA${String(this.#nextSid++).padStart(32, '0')}`;
      return this.#answer({ sid, status: 'queued' });
    };
    this.calls = calls;
  }

  failNext(error: Error | 'hang'): void {
    this.#failures.push(error);
  }

  #answer<T>(value: T): Promise<T> {
    const failure = this.#failures.shift();
    if (failure === 'hang') return new Promise<T>(() => undefined);
    return failure ? Promise.reject(failure) : Promise.resolve(value);
  }
}

/** A Realtime session stand-in: records what the actions ask of it; the test emits server-side events. */
export class FakeRealtime implements ActionRealtime {
  readonly responses: ResponseRequest[] = [];
  readonly texts: string[] = [];
  disconnects = 0;
  inFlight = false;
  readonly #listeners = new Set<RealtimeClientListener>();

  createResponse(request: ResponseRequest = {}): SendResult {
    this.responses.push(request);
    return 'sent';
  }

  /** The keypad's sink: what the call's `RealtimeService.sendKeypadTurn` receives. */
  async sendKeypadTurn(text: string): Promise<boolean> {
    this.texts.push(text);
    return true;
  }

  async disconnect(): Promise<void> {
    this.disconnects += 1;
  }

  isResponseInFlight(): boolean {
    return this.inFlight;
  }

  on(listener: RealtimeClientListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: RealtimeClientEvent): void {
    if (event.type === 'response_started') this.inFlight = true;
    if (event.type === 'response_done') this.inFlight = false;
    for (const listener of [...this.#listeners]) listener(event);
  }
}

/** Lets pending promise chains run (several hops of awaits) without moving any clock. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
