/**
 * The telephony actions as function tools of the Realtime agent (built by `defineRealtimeTool`), with zod
 * parameters and descriptions written for the model. The Realtime session's tool list is fixed when it opens
 * (often while the phone rings, before the call's transport exists), so each tool resolves the call's
 * `CallActions` when it runs and refuses politely when the current agent is not granted it.
 */
import { z } from 'zod';
import type { AgentToolName } from '../domain/agent-tools.js';
import { defineRealtimeTool, type RealtimeTool } from '../infrastructure/openai-realtime/realtime-tools.js';
import type { CallActions, ToolReply } from './call-actions.js';
import { TERMINATOR_KEYS } from './digit-collector.js';

/** One function tool as the Realtime agent takes it. */
export type CallTool = RealtimeTool;

/** Inter-key timeout of `collect_digits` when the model gives none. */
export const DEFAULT_DIGIT_TIMEOUT_S = 8;

/** Most digits one collection may ask for (Twilio's `<Gather numDigits>` has no lower useful bound). */
export const MAX_COLLECTED_DIGITS = 32;

/** Resolves the call's actions; undefined before the media stream started (a pre-warmed session). */
export type CallActionsLookup = () => CallActions | undefined;

const NOT_READY: ToolReply = { text: 'The call is not connected yet; try again in a moment.', respond: true };

const hangUpParameters = z.object({
  reason: z.string().describe('Why the call is ending, in a few words (for the call record).'),
});

const transferParameters = z.object({
  reason: z.string().describe('Why the caller needs a human, in a few words (for the call record).'),
  department: z
    .string()
    .nullable()
    .describe('Team to reach when the caller asked for a specific one (for example "billing"); null for the default.'),
});

const collectDigitsParameters = z.object({
  count: z
    .number()
    .int()
    .min(1)
    .max(MAX_COLLECTED_DIGITS)
    .nullable()
    .describe('How many digits to collect, when the length is known (for example 4 for the last four of an account number).'),
  terminator: z
    .enum(TERMINATOR_KEYS)
    .nullable()
    .describe('Key that ends the entry when the length varies; tell the caller to press it when done. Null when count is set.'),
  timeoutSeconds: z
    .number()
    .min(1)
    .max(30)
    .nullable()
    .describe(`Seconds to wait for the next key before giving up; null for ${DEFAULT_DIGIT_TIMEOUT_S}.`),
});

/** Builds the function tools for the given tool names (the catalogue's grants), bound to the call through `lookup`. */
export function createCallTools(names: readonly AgentToolName[], lookup: CallActionsLookup): CallTool[] {
  const tools: CallTool[] = [];
  for (const name of new Set(names)) {
    switch (name) {
      case 'hang_up':
        tools.push(
          defineRealtimeTool({
            name,
            description:
              'End the phone call. First say a short goodbye in the same turn; the line is closed only after the caller has heard it. Use only when the caller is done or asked to end the call.',
            parameters: hangUpParameters,
            execute: async ({ reason }) => {
              const actions = lookup();
              if (!actions) return NOT_READY;
              if (!actions.allows(name)) return actions.refuse(name);
              return await actions.hangUp(reason);
            },
          }),
        );
        break;
      case 'transfer_to_human':
        tools.push(
          defineRealtimeTool({
            name,
            description:
              'Connect the caller to a human colleague by phone. Say one short sentence first (for example "Let me connect you to a colleague"), then call this. The conversation with you ends when the transfer starts.',
            parameters: transferParameters,
            execute: async ({ reason, department }) => {
              const actions = lookup();
              if (!actions) return NOT_READY;
              if (!actions.allows(name)) return actions.refuse(name);
              return await actions.transfer(reason, department ?? undefined);
            },
          }),
        );
        break;
      case 'collect_digits':
        tools.push(
          defineRealtimeTool({
            name,
            description:
              'Let the caller type numbers on the phone keypad instead of saying them (account numbers, PINs, card details). First tell the caller what to type, then call this; it returns the digits when the caller is done.',
            parameters: collectDigitsParameters,
            execute: async ({ count, terminator, timeoutSeconds }) => {
              const actions = lookup();
              if (!actions) return NOT_READY;
              if (!actions.allows(name)) return actions.refuse(name);
              const reply = await actions.collectDigits({
                count: count ?? undefined,
                // Neither given: the caller ends the entry with # (the usual phone convention).
                terminator: terminator ?? (count === null ? '#' : undefined),
                timeoutMs: (timeoutSeconds ?? DEFAULT_DIGIT_TIMEOUT_S) * 1000,
              });
              return reply;
            },
          }),
        );
        break;
      default: {
        const unreachable: never = name;
        return unreachable;
      }
    }
  }
  return tools;
}
