/**
 * The Twilio Media Streams serializer: wire JSON in, a `TwilioEvent` out; `media`, `mark` and `clear` out, byte
 * for byte as Twilio expects (anything else, extra fields included, gives warning 31951). Parsing never throws:
 * unknown or malformed input returns undefined and the caller logs it.
 */
import type { TwilioEvent } from './twilio-events.js';
import {
  ConnectedMessageSchema,
  DtmfMessageSchema,
  MarkMessageSchema,
  StartMessageSchema,
  StopMessageSchema,
} from './twilio-messages.js';

/**
 * Checks a parsed `media` message by hand: it arrives 50 times a second per call, so it skips zod's allocations.
 * Accepts exactly what `MediaMessageSchema` accepts.
 */
function parseMedia(message: Record<string, unknown>): TwilioEvent | undefined {
  const { streamSid, media, sequenceNumber } = message;
  if (typeof streamSid !== 'string' || streamSid.length === 0) return undefined;
  if (!isNumberish(sequenceNumber)) return undefined;
  if (typeof media !== 'object' || media === null || Array.isArray(media)) return undefined;
  const { track, chunk, timestamp, payload } = media as Record<string, unknown>;
  if (typeof track !== 'string' || typeof payload !== 'string') return undefined;
  if (!isNumberish(chunk) || !isNumberish(timestamp)) return undefined;
  return { type: 'media', streamSid, track, timestampMs: Number(timestamp), payload };
}

function isNumberish(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/** Turns one text frame from Twilio into an event; undefined for anything unknown or malformed. */
export function parseTwilioMessage(text: string): TwilioEvent | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const record = message as Record<string, unknown>;
  switch (record.event) {
    case 'media':
      return parseMedia(record);
    case 'mark': {
      const parsed = MarkMessageSchema.safeParse(record);
      return parsed.success ? { type: 'mark', streamSid: parsed.data.streamSid, name: parsed.data.mark.name } : undefined;
    }
    case 'dtmf': {
      const parsed = DtmfMessageSchema.safeParse(record);
      return parsed.success ? { type: 'dtmf', streamSid: parsed.data.streamSid, digit: parsed.data.dtmf.digit } : undefined;
    }
    case 'start': {
      const parsed = StartMessageSchema.safeParse(record);
      return parsed.success ? { type: 'start', streamSid: parsed.data.streamSid, start: parsed.data.start } : undefined;
    }
    case 'stop': {
      const parsed = StopMessageSchema.safeParse(record);
      return parsed.success ? { type: 'stop', streamSid: parsed.data.streamSid, callSid: parsed.data.stop.callSid } : undefined;
    }
    case 'connected': {
      const parsed = ConnectedMessageSchema.safeParse(record);
      return parsed.success ? { type: 'connected', protocol: parsed.data.protocol, version: parsed.data.version } : undefined;
    }
    default:
      return undefined;
  }
}

/** `{"event":"media","streamSid":"…","media":{"payload":"…"}}`: base64 raw μ-law 8 kHz, no WAV header. */
export function formatMediaMessage(streamSid: string, payloadBase64: string): string {
  return JSON.stringify({ event: 'media', streamSid, media: { payload: payloadBase64 } });
}

/** `{"event":"mark","streamSid":"…","mark":{"name":"…"}}`: Twilio echoes it once the audio before it played. */
export function formatMarkMessage(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

/** `{"event":"clear","streamSid":"…"}`: drops Twilio's queued audio and echoes every pending mark. */
export function formatClearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
