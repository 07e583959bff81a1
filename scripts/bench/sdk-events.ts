/**
 * CPU of the Realtime client's receive path for the non-audio server events of a turn: a loopback server sends
 * `TURNS` turns of the events the load fake sends per turn (speech, commit, user item, transcript, response and
 * assistant item lifecycle, no audio) to a real `RealtimeClient` (SDK `RealtimeSession` + our transport), and the
 * process's CPU (`process.cpuUsage`: the server's `JSON.stringify` and send are included, the same in every run) is
 * divided by the turns. Run it from two checkouts to compare them:
 *
 *   npx tsx scripts/bench/sdk-events.ts [turns=3000] [root=this checkout] [warm-up turns=100]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

const ROOT = path.resolve(process.argv[3] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'));
const TURNS = Number(process.argv[2] ?? 3000);
/**
 * Turns before the measurement. Before issue 19's third slice the SDK session's history held two items per turn and
 * its cost per event grew with it; since, the transport routes those item events past the SDK and the cost is flat.
 */
const WARMUP_TURNS = Number(process.argv[4] ?? 100);

type Json = Record<string, unknown>;

function turnEvents(n: number): Json[] {
  const user = `item_user_${n}`;
  const assistant = `item_asst_${n}`;
  const response = `resp_${n}`;
  const userItem = { id: user, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
  const asstItem = { id: assistant, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
  const doneItem = { ...asstItem, status: 'completed', content: [{ type: 'output_audio', transcript: 'Let me look that up for you.' }] };
  const base = { response_id: response, item_id: assistant, output_index: 0, content_index: 0 };
  const resp = (status: string, output: unknown[]) => ({ object: 'realtime.response', id: response, status, status_details: null, output, conversation_id: 'conv', output_modalities: ['audio'], max_output_tokens: 'inf', audio: { output: { format: { type: 'audio/pcmu' }, voice: 'alloy' } }, metadata: null, usage: status === 'in_progress' ? null : { total_tokens: 0, input_tokens: 0, output_tokens: 0, input_token_details: { text_tokens: 0, audio_tokens: 0, cached_tokens: 0 }, output_token_details: { text_tokens: 0, audio_tokens: 0 } } });
  return [
    { type: 'input_audio_buffer.speech_started', item_id: user, audio_start_ms: n * 4000 },
    { type: 'input_audio_buffer.speech_stopped', item_id: user, audio_end_ms: n * 4000 + 600 },
    { type: 'input_audio_buffer.committed', item_id: user, previous_item_id: null },
    { type: 'conversation.item.added', previous_item_id: null, item: userItem },
    { type: 'conversation.item.done', previous_item_id: null, item: userItem },
    { type: 'conversation.item.input_audio_transcription.completed', item_id: user, content_index: 0, transcript: 'I would like to check my bill please', usage: { type: 'duration', seconds: 1 } },
    { type: 'response.created', response: resp('in_progress', []) },
    { type: 'response.output_item.added', response_id: response, output_index: 0, item: asstItem },
    { type: 'conversation.item.added', previous_item_id: user, item: asstItem },
    { type: 'response.content_part.added', ...base, part: { type: 'audio', transcript: '' } },
    { type: 'response.output_audio.done', ...base },
    { type: 'response.output_audio_transcript.done', ...base, transcript: 'Let me look that up for you.' },
    { type: 'response.content_part.done', ...base, part: { type: 'audio', transcript: 'Let me look that up for you.' } },
    { type: 'response.output_item.done', response_id: response, output_index: 0, item: doneItem },
    { type: 'conversation.item.done', previous_item_id: null, item: doneItem },
    { type: 'response.done', response: resp('completed', [doneItem]) },
  ];
}

const { loadConfig } = (await import(path.join(ROOT, 'src/config.ts'))) as typeof import('../../src/config.js');
const { createRealtimeClient, realtimeClientOptionsFrom } = (await import(path.join(ROOT, 'src/infrastructure/openai-realtime/create-realtime-client.ts'))) as typeof import('../../src/infrastructure/openai-realtime/create-realtime-client.js');
const { createLogger } = (await import(path.join(ROOT, 'src/logger.ts'))) as typeof import('../../src/logger.js');
const { initialSession } = (await import(path.join(ROOT, 'fakes/realtime/fake-connection.ts'))) as typeof import('../../fakes/realtime/fake-connection.js');

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const peer = new Promise<WebSocket>((resolve) =>
  server.on('connection', (socket) => {
    let id = 0;
    const session = initialSession('sess_bench');
    const send = (event: Json): void => socket.send(JSON.stringify({ event_id: `event_${++id}`, ...event }));
    socket.on('message', (data) => {
      const event = JSON.parse(String(data)) as Json;
      if (event.type === 'session.update') send({ type: 'session.updated', session });
      if (event.type === 'conversation.item.retrieve') send({ type: 'conversation.item.retrieved', item: { id: event.item_id, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: 'I would like to check my bill please' }] } });
    });
    send({ type: 'session.created', session });
    resolve(socket);
  }),
);
const { port } = server.address() as { port: number };
const config = loadConfig({ PUBLIC_BASE_URL: 'https://bench.invalid', TWILIO_AUTH_TOKEN: 'be0be0be0be0be0be0be0be0be0be0be', OPENAI_REALTIME_URL: `ws://127.0.0.1:${port}`, LOG_LEVEL: 'silent', DATA_DIR: '/tmp' });
const client = createRealtimeClient(realtimeClientOptionsFrom(config, { name: 'bench', instructions: 'You are a bench.', logger: createLogger('silent') }));
let doneCount = 0;
let onDone: () => void = () => undefined;
client.on((event) => {
  if (event.type === 'response_done' && ++doneCount % 100 === 0) onDone();
});
await client.connect();
const socket = await peer;
const batch = async (from: number, count: number): Promise<void> => {
  const target = doneCount + count;
  const finished = new Promise<void>((resolve) => {
    onDone = () => {
      if (doneCount >= target) resolve();
    };
  });
  for (let n = from; n < from + count; n++) for (const event of turnEvents(n)) socket.send(JSON.stringify({ event_id: `event_t${n}`, ...event }));
  await finished;
};
for (let i = 0; i < WARMUP_TURNS / 100; i++) await batch(i * 100, 100); // warm-up (the session's history grows with it)
const cpu = process.cpuUsage();
for (let i = 0; i < TURNS / 100; i++) await batch(1000 + i * 100, 100);
const used = process.cpuUsage(cpu);
console.log(`${ROOT}: ${TURNS} turns of non-audio events, ${((used.user + used.system) / TURNS).toFixed(1)} CPU µs per turn (client and loopback server)`);
await client.disconnect();
server.close();
