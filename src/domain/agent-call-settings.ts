/**
 * Per-agent call settings in the catalogue: where `transfer_to_human` sends the caller, how long silence may last
 * before the bot reprompts, and how long a call may last. Validated with the rest of the catalogue at startup, so a
 * malformed transfer target fails before any call instead of during one.
 */
import { z } from 'zod';

/** E.164: a plus, a non-zero country digit, up to 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;
/** A SIP URI as `<Dial><Sip>` takes it: `sip:` or `sips:`, a user part is optional, then a host. */
const SIP_URI = /^sips?:([^@\s]+@)?[A-Za-z0-9.-]+(:\d{1,5})?(;[^\s]*)?$/;

const text = z.string().trim().min(1, 'must not be empty');

/** A transfer destination: an E.164 phone number or a SIP URI. */
export const TransferTargetSchema = z
  .string()
  .trim()
  .refine((v) => E164.test(v) || SIP_URI.test(v), 'must be an E.164 number such as +15550100200 or a sip: URI');

/** Silence handling: after `timeoutSeconds` of silence the bot reprompts, `reprompts` times, then says goodbye. */
export const IdleSettingsSchema = z.strictObject({
  timeoutSeconds: z.number().min(3, 'must be at least 3 seconds').max(120, 'must be at most 120 seconds').default(10),
  reprompts: z.number().int().min(0).max(5, 'must be at most 5').default(2),
  reprompt: text.default('Are you still there?'),
  goodbye: text.default("I haven't heard from you, so I'll end the call now. Goodbye."),
});

/**
 * Longest call in minutes, ended gracefully with `closingLine`. Capped at 25 minutes: under the Realtime session's
 * own maximum (30 minutes), so the bot always says the closing line before the session is cut.
 */
export const MaxDurationSettingsSchema = z.strictObject({
  minutes: z.number().min(1, 'must be at least 1 minute').max(25, 'must be at most 25 minutes (the Realtime session ends at 30)').default(15),
  closingLine: text.default("We've reached the time limit for this call. Please call us back if you need anything else. Goodbye."),
});

/** The catalogue fields of an agent that configure its call actions (all optional; defaults apply). */
export const AgentCallSettingsFields = {
  /** Where `transfer_to_human` connects the caller; required when the agent is granted that tool. */
  transferTo: TransferTargetSchema.optional(),
  /** Optional per-department destinations the model may pick with the tool's `department` argument. */
  transferDepartments: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be snake_case'), TransferTargetSchema).optional(),
  /** Spoken by Twilio (`<Say>`) right before dialling, after the Realtime session is closed. */
  transferAnnouncement: text.optional(),
  idle: IdleSettingsSchema.optional(),
  maxDuration: MaxDurationSettingsSchema.optional(),
};

/** Silence settings with defaults applied. */
export type IdleSettings = z.output<typeof IdleSettingsSchema>;
/** Duration settings with defaults applied. */
export type MaxDurationSettings = z.output<typeof MaxDurationSettingsSchema>;
