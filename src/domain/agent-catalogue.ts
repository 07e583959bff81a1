/**
 * The agent catalogue: which agents exist, which caller intents each one serves (with example phrases the keyword
 * classifier learns from), their instructions, greeting and allowed tools. Loaded from YAML or JSON and validated
 * with zod at startup; a bad file fails with one readable message naming the file and the field.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { AgentCallSettingsFields } from './agent-call-settings.js';
import { AGENT_TOOL_NAMES, type AgentToolName } from './agent-tools.js';

/** The catalogue shipped with the bot (an internet provider), used when `config.agentsFile` is unset. */
export const DEFAULT_AGENTS_FILE = fileURLToPath(new URL('../../agents/isp.yaml', import.meta.url));

const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be snake_case: a lowercase letter, then lowercase letters, digits or _');
const text = z.string().trim().min(1, 'must not be empty');

const IntentSchema = z.strictObject({
  name: key,
  description: text,
  examples: z.array(text).min(3, 'needs at least 3 example phrases'),
});

const AgentSchema = z.strictObject({
  name: key,
  /** How the agent is named inside its own instructions ("the billing team"). */
  displayName: text.optional(),
  description: text,
  greeting: text.optional(),
  instructions: z.string().trim().min(40, 'must be at least 40 characters: write what the agent does'),
  tools: z.array(z.enum(AGENT_TOOL_NAMES)).default([]),
  intents: z.array(IntentSchema).min(1, 'needs at least one intent'),
  ...AgentCallSettingsFields,
});

/**
 * When an agent switch replaces the reply to the very turn that revealed the intent (see
 * `src/service/same-turn-switch.ts`): only while the caller has heard at most `maxHeardMs` of it, as confirmed by
 * Twilio's mark echoes. `enabled: false` keeps every switch for the next turn.
 */
const SameTurnSwitchSchema = z.strictObject({
  enabled: z.boolean().default(true),
  maxHeardMs: z.number().int('must be a whole number of milliseconds').min(0).max(2_000, 'must be at most 2000 ms: longer cuts off speech the caller clearly heard').default(0),
});

/** Tool names (`collect_digits`, ...) that a piece of catalogue prose names, in `AGENT_TOOL_NAMES` order. */
function toolsNamedIn(prose: string): AgentToolName[] {
  return AGENT_TOOL_NAMES.filter((tool) => new RegExp(`\\b${tool}\\b`).test(prose));
}

/** The error for prose naming `tools` that `whose` tools list does not grant ("the agent's", "billing's"). */
function ungrantedToolsMessage(tools: readonly AgentToolName[], whose: string): string {
  const names = tools.map((tool) => `"${tool}"`).join(', ');
  return `names ${names}, which ${whose} tools list does not grant: say what to do, not which tool does it (the model is told what each granted tool does)`;
}

const CatalogueSchema = z
  .strictObject({
    version: z.literal(1),
    business: z.strictObject({ name: text, description: text.optional(), hours: text.optional() }),
    /** Voice rules shared by every agent, prepended to each agent's own instructions. */
    style: text,
    defaultAgent: key,
    sameTurnSwitch: SameTurnSwitchSchema.default({ enabled: true, maxHeardMs: 0 }),
    agents: z.array(AgentSchema).min(1, 'needs at least one agent'),
  })
  .superRefine((catalogue, ctx) => {
    const agentNames = new Set<string>();
    const intentNames = new Set<string>();
    catalogue.agents.forEach((agent, a) => {
      if (agentNames.has(agent.name)) {
        ctx.addIssue({ code: 'custom', path: ['agents', a, 'name'], message: `duplicates agent "${agent.name}"` });
      }
      agentNames.add(agent.name);
      agent.intents.forEach((intent, i) => {
        if (intentNames.has(intent.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['agents', a, 'intents', i, 'name'],
            message: `duplicates intent "${intent.name}": each intent is served by exactly one agent`,
          });
        }
        intentNames.add(intent.name);
      });
      if (new Set(agent.tools).size !== agent.tools.length) {
        ctx.addIssue({ code: 'custom', path: ['agents', a, 'tools'], message: 'lists a tool twice' });
      }
      if (agent.tools.includes('transfer_to_human') && agent.transferTo === undefined) {
        ctx.addIssue({ code: 'custom', path: ['agents', a, 'transferTo'], message: 'is required when the agent may use transfer_to_human' });
      }
    });
    // The `tools` lists are what the model is told it has; prose naming a tool an agent lacks would contradict them.
    catalogue.agents.forEach((agent, a) => {
      const ungranted = toolsNamedIn(agent.instructions).filter((tool) => !agent.tools.includes(tool));
      if (ungranted.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['agents', a, 'instructions'], message: ungrantedToolsMessage(ungranted, "the agent's") });
      }
    });
    // The style goes to every agent, so a tool it names must be granted to all of them.
    for (const agent of catalogue.agents) {
      const ungranted = toolsNamedIn(catalogue.style).filter((tool) => !agent.tools.includes(tool));
      if (ungranted.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['style'], message: ungrantedToolsMessage(ungranted, `${agent.name}'s`) });
        break;
      }
    }
    if (!agentNames.has(catalogue.defaultAgent)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultAgent'],
        message: `names "${catalogue.defaultAgent}", which is not an agent in this file`,
      });
    }
  });

/** One intent as written in the catalogue. */
export type CatalogueIntent = z.infer<typeof IntentSchema>;
/** One agent as written in the catalogue. */
export type CatalogueAgent = z.infer<typeof AgentSchema>;
/** A validated catalogue file. */
export type AgentCatalogueData = z.infer<typeof CatalogueSchema>;

/** A validated catalogue plus the lookups the orchestrator needs on every turn. */
export interface AgentCatalogue extends AgentCatalogueData {
  /** Where it was loaded from, for log lines and error messages. */
  readonly source: string;
  /** Agent by name. */
  readonly agentsByName: ReadonlyMap<string, CatalogueAgent>;
  /** Which agent serves each intent. */
  readonly agentByIntent: ReadonlyMap<string, string>;
  /** Every intent with the agent that serves it, in file order. */
  readonly intents: readonly (CatalogueIntent & { readonly agent: string })[];
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out === '' ? String(part) : `${out}.${String(part)}`;
  }, '');
}

/**
 * Validates already-parsed catalogue data; `source` names the origin in errors. Throws `ConfigError` listing every
 * bad field as `path: problem`.
 */
export function parseAgentCatalogue(data: unknown, source: string): AgentCatalogue {
  const parsed = CatalogueSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path) || '(top level)'}: ${issue.message}`);
    throw new ConfigError(`Invalid agent catalogue ${source}: ${problems.join('; ')}`);
  }
  const catalogue = parsed.data;
  const agentsByName = new Map(catalogue.agents.map((agent) => [agent.name, agent]));
  const intents = catalogue.agents.flatMap((agent) => agent.intents.map((intent) => ({ ...intent, agent: agent.name })));
  const agentByIntent = new Map(intents.map((intent) => [intent.name, intent.agent]));
  return deepFreeze({ ...catalogue, source, agentsByName, agentByIntent, intents });
}

/**
 * Reads and validates a catalogue file (`.yaml`, `.yml` or `.json`). Defaults to the shipped catalogue; throws
 * `ConfigError` naming the file when it cannot be read, parsed or validated.
 */
export async function loadAgentCatalogue(file: string = DEFAULT_AGENTS_FILE): Promise<AgentCatalogue> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read agent catalogue ${file}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(raw) : parseYaml(raw);
  } catch (error) {
    throw new ConfigError(`Agent catalogue ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseAgentCatalogue(data, file);
}

function deepFreeze<T extends object>(value: T): T {
  if (value instanceof Map) return Object.freeze(value);
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object' && !Object.isFrozen(child)) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
