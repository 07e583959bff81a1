/**
 * Function tools in the SDK's form. The rest of the project describes a tool (name, description, zod parameters,
 * an async handler returning `{ text, respond }`) and this file turns it into the Agents SDK's `tool()`, so no
 * file outside `openai-realtime/` knows the SDK's tool types or its `backgroundResult` convention.
 */
import { backgroundResult, tool, type RealtimeAgentConfiguration } from '@openai/agents-realtime';
import type { z } from 'zod';

/** The tool list a Realtime agent takes, in the SDK's own type (opaque to callers). */
export type RealtimeTools = RealtimeAgentConfiguration['tools'];

/** One function tool as the Realtime agent takes it. */
export type RealtimeTool = NonNullable<RealtimeTools>[number];

/** What a tool handler answers: the text the model reads, and whether the model should speak next. */
export interface RealtimeToolReply {
  readonly text: string;
  /** True: the model answers right away; false: the result is recorded silently (the SDK's background result). */
  readonly respond: boolean;
}

/** A function tool described without the SDK's types. */
export interface RealtimeToolSpec<P extends z.ZodObject> {
  readonly name: string;
  /** Written for the model: when to call the tool and what to say first. */
  readonly description: string;
  readonly parameters: P;
  readonly execute: (args: z.infer<P>) => Promise<RealtimeToolReply>;
}

/** Builds the SDK function tool for `spec`; a reply with `respond: false` becomes a background result. */
export function defineRealtimeTool<P extends z.ZodObject>(spec: RealtimeToolSpec<P>): RealtimeTool {
  // Widened to the plain object schema: the SDK's conditional parameter types do not resolve on a generic `P`.
  const parameters: z.ZodObject = spec.parameters;
  return tool({
    name: spec.name,
    description: spec.description,
    parameters,
    execute: async (args) => {
      const reply = await spec.execute(args as z.infer<P>);
      return reply.respond ? reply.text : backgroundResult(reply.text);
    },
  });
}
