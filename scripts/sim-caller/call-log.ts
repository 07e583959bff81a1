/**
 * Renders a simulated call's log as a readable transcript: time, who, what. The caller's lines come from the
 * fixture's utterances, the bot's from the audio it played; bot words are not on the Twilio wire, so the server's
 * own logs (or the demo) carry them.
 */
import type { CallLogEntry, SimCallResult } from './sim-caller.js';

/** One entry as a line: `  12.34 s  caller  "I want to cancel"`. */
export function formatCallLogEntry(entry: CallLogEntry): string {
  return `${(entry.atMs / 1000).toFixed(2).padStart(8)} s  ${entry.who.padEnd(6)}  ${entry.text}`;
}

/** The whole call: log lines and a short summary of what the caller saw. */
export function formatCallReport(result: SimCallResult): string[] {
  const echoed = result.marks.filter((m) => m.echoedAtMs !== undefined);
  const flushed = result.marks.filter((m) => m.flushed).length;
  return [
    ...result.log.map(formatCallLogEntry),
    '',
    `call ${result.callSid} ended by ${result.endedBy} after ${(result.durationMs / 1000).toFixed(2)} s (close code ${result.closeCode ?? 'none'})`,
    `bot audio ${(result.botAudioMs / 1000).toFixed(2)} s; marks ${echoed.length} echoed (${flushed} flushed by clear); clears ${result.clears.length}`,
    `dtmf sent ${result.dtmfSent.length} digits; messages sent ${result.sentMessages}`,
    ...result.violations.map((v) => `VIOLATION: ${v}`),
  ];
}
