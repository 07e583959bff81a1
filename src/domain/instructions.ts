/**
 * Builds an agent's full instructions from the catalogue. Pure: the same catalogue, agent and context always give
 * the same text, so instruction bodies never need to be stored in graph state or call records.
 */
import type { AgentCatalogue, CatalogueAgent } from './agent-catalogue.js';
import { AGENT_TOOL_PURPOSES, AGENT_TOOL_UNAVAILABLE, type AgentToolName } from './agent-tools.js';

/** What is known about the call when the instructions are built. */
export interface InstructionContext {
  /** The agent the caller was talking to before; set on a mid-call handoff, so the new agent does not greet again. */
  readonly previousAgent?: string | undefined;
  /** The intent that caused the handoff. */
  readonly intent?: string | undefined;
  /** Per-call facts (e.g. an outbound call's purpose), given to the model as plain key/value lines. */
  readonly parameters?: Readonly<Record<string, string>> | undefined;
  /**
   * The tools this call really has; undefined means every tool the catalogue grants. Without Twilio REST credentials
   * a call has none, and the instructions must not let the model promise a transfer or a hang-up it cannot make.
   */
  readonly availableTools?: readonly AgentToolName[] | undefined;
}

function agentLabel(agent: CatalogueAgent): string {
  return agent.displayName ?? agent.name.replaceAll('_', ' ');
}

/**
 * Returns the instructions for `agentName`, composed of the business, the shared voice style, the agent's own
 * instructions, its intents, the other teams, its tools and the call context. Throws on an unknown agent name
 * (a programming error: names come from the validated catalogue).
 */
export function buildInstructions(catalogue: AgentCatalogue, agentName: string, context: InstructionContext = {}): string {
  const agent = catalogue.agentsByName.get(agentName);
  if (!agent) throw new Error(`Unknown agent "${agentName}" in catalogue ${catalogue.source}`);
  const { business } = catalogue;
  const sections: string[] = [];

  sections.push(
    `# Role\nYou are ${agentLabel(agent)} at ${business.name}` +
      (business.description ? `, ${business.description}` : '') +
      `.\n${agent.description}` +
      (business.hours ? `\n${business.hours}` : ''),
  );
  sections.push(`# How to speak\n${catalogue.style}`);
  sections.push(`# Your job\n${agent.instructions}`);
  sections.push(`# Callers come to you for\n${agent.intents.map((intent) => `- ${intent.description}`).join('\n')}`);

  const others = catalogue.agents.filter((other) => other.name !== agent.name);
  if (others.length > 0) {
    sections.push(
      `# Other teams (the call moves to them automatically when the caller needs them)\n` +
        others.map((other) => `- ${agentLabel(other)}: ${other.description}`).join('\n'),
    );
  }

  const available = context.availableTools;
  const tools = available === undefined ? agent.tools : agent.tools.filter((tool) => available.includes(tool));
  const missing = agent.tools.filter((tool) => !tools.includes(tool));
  sections.push(
    tools.length > 0
      ? `# Tools you may use\n${tools.map((tool) => `- ${AGENT_TOOL_PURPOSES[tool]}`).join('\n')}`
      : '# Tools\nYou have no tools on this call; do not promise actions you cannot take.',
  );
  if (missing.length > 0) {
    sections.push(
      `# Not possible on this call (this overrides anything above)\n${missing.map((tool) => `- ${AGENT_TOOL_UNAVAILABLE[tool]}`).join('\n')}`,
    );
  }

  const previous = context.previousAgent ? catalogue.agentsByName.get(context.previousAgent) : undefined;
  if (previous) {
    const reason = context.intent
      ? catalogue.intents.find((intent) => intent.name === context.intent)?.description
      : undefined;
    sections.push(
      `# Handoff\nThe caller was just talking to ${agentLabel(previous)} and is now with you in the same call. ` +
        `Do not greet them again or repeat what was already said; continue naturally from the conversation so far.` +
        (reason ? `\nWhat the caller seems to need: ${reason}` : ''),
    );
  } else if (agent.greeting) {
    sections.push(`# Opening\nWhen the call starts, say: "${agent.greeting}"`);
  }

  const parameters = Object.entries(context.parameters ?? {});
  if (parameters.length > 0) {
    sections.push(`# Call details\n${parameters.map(([name, value]) => `- ${name}: ${value}`).join('\n')}`);
  }
  return sections.join('\n\n');
}

/*
 * Per-response instructions: the text of one `response.create`, for a line the bot must say at a given moment.
 * They live here with the session instructions so every instruction text the model reads is written in one file.
 */

/** The first response of a call whose agent has a catalogue greeting. */
export function greetingInstruction(greeting: string): string {
  return `Greet the caller now with exactly these words: "${greeting}"`;
}

/** A closing line the bot must say word for word (idle goodbye, maximum duration). */
export function sayExactlyInstruction(line: string): string {
  return `Say exactly this to the caller and nothing else: "${line}"`;
}

/** The idle timer's re-prompt to a silent caller. */
export function idleRepromptInstruction(reprompt: string): string {
  return `The caller has been silent for a while. Ask exactly this, then wait: "${reprompt}"`;
}

/** After a hang-up that failed once its tool had already returned (`failure` says why, in a few words). */
export function hangUpFailedInstruction(failure: string): string {
  return `Ending the call failed (${failure}). Tell the caller briefly that they can hang up now.`;
}
