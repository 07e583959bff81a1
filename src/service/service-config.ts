/**
 * The seed's `ServiceConfig` in camelCase: what one call's `RealtimeService` itself reads. Model, voice, key,
 * endpoint and tools belong to the Realtime client, which is built by `createRealtimeClient`
 * (`infrastructure/openai-realtime/create-realtime-client.ts`) and handed to the service.
 */
import type { SameTurnSwitchPolicy } from './same-turn-switch.js';

/** Seed's `ServiceConfig { name, initial_instruction, agent_type }` plus the greeting and the re-route policy. */
export interface ServiceConfig {
  /** Instructions the session starts with (the client was built with the same text). */
  readonly initialInstruction: string;
  /** Which kind of agent the orchestrator's results are for (passed to every orchestrator run). */
  readonly agentType: 'realtime' | 'chat';
  /** Instructions for the first response when the bot speaks first; undefined means the session instructions. */
  readonly greeting?: string | undefined;
  /** When an agent switch re-routes the reply to the same turn (catalogue `sameTurnSwitch`); default: nothing heard. */
  readonly sameTurnSwitch?: SameTurnSwitchPolicy | undefined;
}
