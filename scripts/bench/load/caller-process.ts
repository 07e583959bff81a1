/**
 * Child process of the load bench: runs its share of simulated calls on request and reports their records over IPC.
 * Recorded caller audio comes from the first fixture in `test/fixtures/calls/`. Exits when the bench goes away.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerClockRequests } from './clock-sync.js';
import { LoadCall } from './load-call.js';
import type { CallerMessage, CallerRunRequest } from './records.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/calls');

/** Inbound media payloads of a recorded call (a few seconds of real caller audio is enough to loop). */
function loadPayloads(): string[] {
  const file = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort()[0];
  if (file === undefined) throw new Error(`no call fixtures in ${FIXTURES}`);
  const payloads: string[] = [];
  for (const line of readFileSync(path.join(FIXTURES, file), 'utf8').split('\n')) {
    if (!line.includes('"media"')) continue;
    const parsed = JSON.parse(line) as { dir?: string; msg?: { event?: string; media?: { payload?: string } } };
    if (parsed.dir === 'in' && parsed.msg?.event === 'media' && typeof parsed.msg.media?.payload === 'string') payloads.push(parsed.msg.media.payload);
  }
  if (payloads.length === 0) throw new Error(`fixture ${file} has no inbound media`);
  return payloads;
}

function reply(message: CallerMessage): void {
  process.send?.(message);
}

const payloads = loadPayloads();

process.on('message', (request: CallerRunRequest) => {
  if (request.type !== 'run') return;
  const ctx = { connectBaseUrl: request.connectBaseUrl, publicBaseUrl: request.publicBaseUrl, authToken: request.authToken, payloads };
  const runs = request.calls.map(
    (c) =>
      new Promise<LoadCall>((resolve) => {
        const call = new LoadCall(ctx, c.callId);
        setTimeout(() => {
          void call.run(request.stopFramesAt, request.hangUpAt, () => reply({ type: 'connected', callId: c.callId })).then(() => resolve(call));
        }, Math.max(0, c.startAt - (performance.timeOrigin + performance.now())));
      }),
  );
  void Promise.all(runs).then((calls) => reply({ type: 'done', calls: calls.map((c) => c.record) }));
});
answerClockRequests();
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
