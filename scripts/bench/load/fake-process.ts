/**
 * Child process of the load bench: the load fake Realtime server on 127.0.0.1. It reports its URL over IPC, hands
 * every session's record over on `collect`, and exits when the bench process disconnects or exits.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { answerClockRequests } from './clock-sync.js';
import { LoadFakeSession } from './load-fake-session.js';
import type { FakeCollectRequest, FakeMessage } from './records.js';

function reply(message: FakeMessage): void {
  process.send?.(message);
}

let counter = 0;
const ids = { next: (prefix: string): string => `${prefix}_${(++counter).toString(36)}` };
const sessions: LoadFakeSession[] = [];
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket) => sessions.push(new LoadFakeSession(socket, ids)));
wss.on('listening', () => {
  const { port } = wss.address() as AddressInfo;
  reply({ type: 'ready', url: `ws://127.0.0.1:${port}/v1/realtime` });
});
process.on('message', (message: FakeCollectRequest) => {
  if (message.type !== 'collect') return;
  const records = sessions.splice(0).map((s) => {
    s.dispose();
    return s.record;
  });
  reply({ type: 'collected', sessions: records });
});
answerClockRequests();
// The bench process owns this one: when it goes away, so does the fake.
process.on('disconnect', () => process.exit(0));
