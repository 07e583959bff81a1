/**
 * `out/demo-call.html`: one self-contained page of the demo call (no script, no external file): both channels'
 * waveforms on one time axis (caller = left WAV channel, bot = right), the turns with their words and latencies,
 * barge-ins and the agent switches with intent and confidence, drawn as inline SVG from the call's record.
 */
import type { CallRecord } from '../../src/records/call-record.js';

/** Samples per second of the call WAV (8 kHz, interleaved caller/bot PCM16). */
const RATE_HZ = 8_000;
const WIDTH = 1200;
const LANE = 70;

function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Peak per pixel column of one channel of an interleaved 16-bit stereo WAV's samples. */
function envelope(stereo: Int16Array, channel: 0 | 1, columns: number): number[] {
  const frames = Math.floor(stereo.length / 2);
  const peaks: number[] = [];
  // Column c covers exactly its share of the time axis, as the turns and switches drawn over it.
  for (let c = 0; c < columns; c += 1) {
    let peak = 0;
    const end = Math.min(frames, Math.floor(((c + 1) * frames) / columns));
    for (let f = Math.floor((c * frames) / columns); f < end; f += 1) peak = Math.max(peak, Math.abs(stereo[f * 2 + channel] ?? 0));
    peaks.push(peak / 32768);
  }
  return peaks;
}

function lane(peaks: readonly number[], top: number, color: string): string {
  const mid = top + LANE / 2;
  const bars = peaks.map((p, x) => `M${x} ${(mid - p * (LANE / 2)).toFixed(1)}V${(mid + p * (LANE / 2)).toFixed(1)}`).join('');
  return `<path d="${bars}" stroke="${color}" stroke-width="1"/>`;
}

/** The page's HTML. `stereoWav` is the call WAV `callAudioWav` wrote (44-byte header, then samples). */
export function demoCallPage(options: { readonly record: CallRecord; readonly stereoWav: Uint8Array; readonly title: string }): string {
  const { record } = options;
  const bytes = options.stereoWav.subarray(44);
  const stereo = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
  const durationMs = (stereo.length / 2 / RATE_HZ) * 1000;
  const x = (ms: number): number => Math.round((ms / Math.max(1, durationMs)) * WIDTH);
  const ticks = Array.from({ length: Math.floor(durationMs / 1000) + 1 }, (_, s) => `<line x1="${x(s * 1000)}" x2="${x(s * 1000)}" y1="0" y2="${2 * LANE + 20}" stroke="#ddd"/><text x="${x(s * 1000) + 2}" y="${2 * LANE + 18}" font-size="10">${s}s</text>`).join('');
  const switches = record.agentSwitches
    .map((s) => `<line x1="${x(s.atMs)}" x2="${x(s.atMs)}" y1="0" y2="${2 * LANE}" stroke="#c60" stroke-width="2"/><text x="${x(s.atMs) + 3}" y="12" font-size="11" fill="#c60">→ ${escapeHtml(s.to)}</text>`)
    .join('');
  const bargeIns = record.bargeIns.map((b) => `<line x1="${x(b.atMs)}" x2="${x(b.atMs)}" y1="${LANE}" y2="${2 * LANE}" stroke="#c00" stroke-dasharray="3 2"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${2 * LANE + 22}" viewBox="0 0 ${WIDTH} ${2 * LANE + 22}">${ticks}${lane(envelope(stereo, 0, WIDTH), 0, '#1f5fbf')}${lane(envelope(stereo, 1, WIDTH), LANE, '#1b8a4b')}${switches}${bargeIns}<text x="4" y="${LANE - 4}" font-size="11">caller (left channel)</text><text x="4" y="${2 * LANE - 4}" font-size="11">bot (right channel)</text></svg>`;
  const turns = record.turns
    .map((t) => {
      const who = t.speaker === 'caller' ? 'Caller' : `Bot (${escapeHtml('agent' in t ? t.agent : '')})`;
      const at = t.startMs === undefined ? '' : `${(t.startMs / 1000).toFixed(2)} s`;
      const latency = 'latencyMs' in t && t.latencyMs !== undefined ? `${t.latencyMs} ms` : '';
      const cut = 'interrupted' in t && t.interrupted ? ` <em>(cut after ${t.heardMs} ms heard)</em>` : '';
      return `<tr class="${t.speaker}"><td>${at}</td><td>${who}</td><td>${escapeHtml(t.text ?? '')}${cut}</td><td>${latency}</td></tr>`;
    })
    .join('');
  const switchRows = record.agentSwitches
    .map((s) => `<li>${(s.atMs / 1000).toFixed(2)} s: ${escapeHtml(s.from)} → <b>${escapeHtml(s.to)}</b>, intent ${escapeHtml(s.intent ?? '?')}${s.confidence === null ? '' : ` (confidence ${s.confidence.toFixed(2)})`}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330}table{border-collapse:collapse}td{padding:2px 8px;border-bottom:1px solid #eee;vertical-align:top}.caller td:nth-child(2){color:#1f5fbf}.bot td:nth-child(2){color:#1b8a4b}svg{border:1px solid #ccc;max-width:100%;height:auto}</style>
</head><body>
<h1>${escapeHtml(options.title)}</h1>
<p>Call ${escapeHtml(record.callSid)}, ${(durationMs / 1000).toFixed(1)} s, ended: ${escapeHtml(record.endReason ?? 'unknown')}. Greeting first audio ${record.firstAudioMs ?? '–'} ms after the stream started.
The WAV's <b>left channel is the caller</b>, the <b>right channel is the bot</b> as the caller heard it.</p>
${svg}
<h2>Agent switches</h2><ul>${switchRows || '<li>none</li>'}</ul>
<h2>Turns</h2><table><tr><th>At</th><th>Who</th><th>Words</th><th>Latency (speech end → first bot audio heard)</th></tr>${turns}</table>
</body></html>
`;
}
