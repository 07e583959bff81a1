/**
 * zod schemas for the six messages Twilio sends on a bidirectional Media Stream, exactly as documented in
 * `protocols.md`. Numbers arrive mostly as strings, so numeric-looking fields accept both and keep the string.
 * SID formats are not checked: old streams used UUIDs. Unknown extra fields are allowed (Twilio adds fields).
 */
import { z } from 'zod';

/** A field Twilio documents as a number but sends as a string (sometimes a number); kept as a string. */
const numberish = z.union([z.string(), z.number()]).transform((v) => String(v));

/** `{"event":"connected","protocol":"Call","version":"1.0.0"}`: the first message, before any streamSid. */
export const ConnectedMessageSchema = z.looseObject({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

/** The `start` message: stream and call identity, tracks, custom `<Parameter>`s and the audio format. */
export const StartMessageSchema = z.looseObject({
  event: z.literal('start'),
  sequenceNumber: numberish,
  streamSid: z.string().min(1),
  start: z.looseObject({
    accountSid: z.string(),
    streamSid: z.string().min(1),
    callSid: z.string().min(1),
    tracks: z.array(z.string()),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z.looseObject({
      encoding: z.string(),
      sampleRate: z.coerce.number(),
      channels: z.coerce.number(),
    }),
  }),
});

/** One inbound audio frame: base64 μ-law, `timestamp` in ms since the stream started. */
export const MediaMessageSchema = z.looseObject({
  event: z.literal('media'),
  sequenceNumber: numberish,
  streamSid: z.string().min(1),
  media: z.looseObject({
    track: z.string(),
    chunk: numberish,
    timestamp: numberish,
    payload: z.string(),
  }),
});

/** A key the caller pressed. */
export const DtmfMessageSchema = z.looseObject({
  event: z.literal('dtmf'),
  sequenceNumber: numberish,
  streamSid: z.string().min(1),
  dtmf: z.looseObject({
    track: z.string(),
    digit: z.string().min(1),
  }),
});

/** The echo of a mark we sent: the audio queued before it has played (or was flushed by `clear`). */
export const MarkMessageSchema = z.looseObject({
  event: z.literal('mark'),
  sequenceNumber: numberish,
  streamSid: z.string().min(1),
  mark: z.looseObject({ name: z.string() }),
});

/** The stream ended: hang-up, or a REST update replaced the TwiML (so it does not mean "the call ended"). */
export const StopMessageSchema = z.looseObject({
  event: z.literal('stop'),
  sequenceNumber: numberish,
  streamSid: z.string().min(1),
  stop: z.looseObject({
    accountSid: z.string(),
    callSid: z.string(),
  }),
});

/** The validated `start` payload the rest of the server works with. */
export type StreamStart = z.output<typeof StartMessageSchema>['start'];
