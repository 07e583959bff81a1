/**
 * The call-action settings of each catalogue agent with the safe defaults applied, so actions and timers read one
 * complete shape whatever the YAML left out.
 */
import type { AgentCatalogue } from '../domain/agent-catalogue.js';
import {
  IdleSettingsSchema,
  MaxDurationSettingsSchema,
  type IdleSettings,
  type MaxDurationSettings,
} from '../domain/agent-call-settings.js';
import type { AgentToolName } from '../domain/agent-tools.js';

/** Silence defaults: reprompt after 10 s, twice, then goodbye. */
export const DEFAULT_IDLE_SETTINGS: IdleSettings = Object.freeze(IdleSettingsSchema.parse({}));

/** Duration default: 15 minutes, well under the Realtime session's 30-minute maximum. */
export const DEFAULT_MAX_DURATION_SETTINGS: MaxDurationSettings = Object.freeze(MaxDurationSettingsSchema.parse({}));

/** Everything the actions need to know about one agent. */
export interface AgentCallSettings {
  readonly agent: string;
  /** Tools the catalogue grants this agent. */
  readonly tools: readonly AgentToolName[];
  readonly transferTo: string | undefined;
  readonly transferDepartments: Readonly<Record<string, string>>;
  readonly transferAnnouncement: string | undefined;
  readonly idle: IdleSettings;
  readonly maxDuration: MaxDurationSettings;
}

/** Resolves an agent's settings (defaults for an unknown agent: no tools, no transfer target). */
export function callSettingsFor(catalogue: AgentCatalogue, agent: string): AgentCallSettings {
  const entry = catalogue.agentsByName.get(agent);
  return {
    agent,
    tools: entry?.tools ?? [],
    transferTo: entry?.transferTo,
    transferDepartments: entry?.transferDepartments ?? {},
    transferAnnouncement: entry?.transferAnnouncement,
    idle: entry?.idle ?? DEFAULT_IDLE_SETTINGS,
    maxDuration: entry?.maxDuration ?? DEFAULT_MAX_DURATION_SETTINGS,
  };
}

/** Every tool name granted to at least one agent: the Realtime session's tool list (tools cannot change per agent). */
export function grantedToolNames(catalogue: AgentCatalogue): AgentToolName[] {
  return [...new Set(catalogue.agents.flatMap((agent) => agent.tools))];
}
