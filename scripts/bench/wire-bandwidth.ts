/**
 * Bytes per second of one call on each socket, in each Realtime wire format, computed from the exact message text
 * the code sends (`formatAppendMessage`, `formatMediaMessage`, `formatMarkMessage`) or receives (a GA
 * `response.output_audio.delta` and a Twilio `media` frame with ids of the real lengths) plus WebSocket framing
 * (RFC 6455: 2-byte header, 2 more for 126–65535 bytes, 4-byte mask on client frames). TCP/IP and TLS overhead are
 * not included. Not measured with a packet counter.
 *
 *   npx tsx scripts/bench/wire-bandwidth.ts
 */
import { FRAME_MS } from '../../src/audio/constants.js';
import { formatAppendMessage } from '../../src/infrastructure/openai-realtime/realtime-websocket.js';
import { OUTBOUND_CHUNK_MS } from '../../src/telephony/media-transport.js';
import { formatMarkMessage, formatMediaMessage } from '../../src/telephony/twilio-serializer.js';

/** The bot speaks in 100 ms deltas (what the Realtime API sends); Twilio sends 20 ms frames. */
const DELTA_MS = 100;
const STREAM_SID = 'MZ' + '0'.repeat(32);

function wsFrameBytes(payloadBytes: number, masked: boolean): number {
  const length = payloadBytes < 126 ? 0 : payloadBytes < 65_536 ? 2 : 8;
  return 2 + length + (masked ? 4 : 0) + payloadBytes;
}

function deltaMessage(audioBytes: number): string {
  return JSON.stringify({
    type: 'response.output_audio.delta',
    event_id: 'event_CBx9FjEeZbIwEXAMPLE1234',
    response_id: 'resp_CBx9FjEeZbIwEXAMPLE1234',
    item_id: 'item_CBx9FjEeZbIwEXAMPLE1234',
    output_index: 0,
    content_index: 0,
    delta: Buffer.alloc(audioBytes).toString('base64'),
  });
}

function twilioMediaIn(seq: number): string {
  return JSON.stringify({ event: 'media', sequenceNumber: String(seq), media: { track: 'inbound', chunk: String(seq), timestamp: String(seq * 20), payload: Buffer.alloc(160).toString('base64') }, streamSid: STREAM_SID });
}

const rows: string[][] = [];
for (const format of ['pcmu', 'pcm16'] as const) {
  const samplesPerFrame = format === 'pcmu' ? 160 : 480;
  const append = formatAppendMessage(new Int16Array(samplesPerFrame), format);
  const upPerS = (wsFrameBytes(Buffer.byteLength(append), true) * 1000) / FRAME_MS;
  const deltaAudioBytes = format === 'pcmu' ? 8 * DELTA_MS : 48 * DELTA_MS;
  const downPerS = (wsFrameBytes(Buffer.byteLength(deltaMessage(deltaAudioBytes)), false) * 1000) / DELTA_MS;
  rows.push([format, String(Buffer.byteLength(append)), (upPerS / 1000).toFixed(1), (downPerS / 1000).toFixed(1)]);
}
const twilioIn = (wsFrameBytes(Buffer.byteLength(twilioMediaIn(12_345)), true) * 1000) / FRAME_MS;
const chunk = formatMediaMessage(STREAM_SID, Buffer.alloc(OUTBOUND_CHUNK_MS * 8).toString('base64'));
const mark = formatMarkMessage(STREAM_SID, 'g1:item_CBx9FjEeZbIwEXAMPLE1234:12345.5');
const twilioOut = ((wsFrameBytes(Buffer.byteLength(chunk), false) + wsFrameBytes(Buffer.byteLength(mark), false)) * 1000) / OUTBOUND_CHUNK_MS;

console.log('| Realtime wire format | one append (20 ms), bytes | upstream to OpenAI, always, kB/s | downstream from OpenAI while the bot speaks, kB/s |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nTwilio side, both formats: ${(twilioIn / 1000).toFixed(1)} kB/s in (20 ms media frames), ${(twilioOut / 1000).toFixed(1)} kB/s out while the bot speaks (${OUTBOUND_CHUNK_MS} ms media + mark)`);
