import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENTS_FILE, loadAgentCatalogue, parseAgentCatalogue } from '../../src/domain/agent-catalogue.js';
import { AGENT_TOOL_NAMES, AGENT_TOOL_PURPOSES, AGENT_TOOL_UNAVAILABLE } from '../../src/domain/agent-tools.js';
import { buildInstructions } from '../../src/domain/instructions.js';
import { ConfigError } from '../../src/errors.js';

function shippedData(): Record<string, any> {
  return parseYaml(readFileSync(DEFAULT_AGENTS_FILE, 'utf8')) as Record<string, any>;
}

describe('loadAgentCatalogue', () => {
  it('loads the shipped internet-provider catalogue with its five agents', async () => {
    const catalogue = await loadAgentCatalogue();
    expect(catalogue.defaultAgent).toBe('front_desk');
    expect(catalogue.agents.map((agent) => agent.name)).toEqual([
      'front_desk',
      'billing',
      'technical_support',
      'sales',
      'retention',
    ]);
    expect(catalogue.agentByIntent.get('cancel_service')).toBe('retention');
    expect(catalogue.agentByIntent.get('internet_outage')).toBe('technical_support');
  });

  it('loads a JSON catalogue chosen by path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'catalogue-'));
    const file = path.join(dir, 'agents.json');
    await writeFile(file, JSON.stringify(shippedData()));
    const catalogue = await loadAgentCatalogue(file);
    expect(catalogue.source).toBe(file);
    expect(catalogue.intents.length).toBeGreaterThan(10);
  });

  it('reads the same-turn switch rule, defaulting to "only replies nobody heard", and rejects a bad threshold by name', () => {
    const shipped = parseAgentCatalogue(shippedData(), 'isp.yaml');
    expect(shipped.sameTurnSwitch).toEqual({ enabled: true, maxHeardMs: 0 });
    const { sameTurnSwitch: _omitted, ...withoutRule } = shippedData();
    expect(parseAgentCatalogue(withoutRule, 'x.yaml').sameTurnSwitch).toEqual({ enabled: true, maxHeardMs: 0 });
    expect(parseAgentCatalogue({ ...shippedData(), sameTurnSwitch: { maxHeardMs: 120 } }, 'x.yaml').sameTurnSwitch).toEqual({ enabled: true, maxHeardMs: 120 });
    expect(() => parseAgentCatalogue({ ...shippedData(), sameTurnSwitch: { maxHeardMs: 5_000 } }, 'x.yaml')).toThrow(
      /x\.yaml: sameTurnSwitch\.maxHeardMs: must be at most 2000 ms/,
    );
  });

  it('names the file and the field of an unknown tool', () => {
    const data = shippedData();
    data.agents[1].tools = ['collect_digits', 'launch_rocket'];
    expect(() => parseAgentCatalogue(data, 'agents/bad.yaml')).toThrowError(
      /Invalid agent catalogue agents\/bad\.yaml: agents\[1\]\.tools\[1\]: /,
    );
  });

  it('refuses prose that names a tool the agent is not granted, in its instructions or in the shared style', () => {
    const data = shippedData();
    data.agents[4].instructions += '\nTake the account number with collect_digits before you cancel.';
    data.style += '\nEnd every call with hang_up.';
    data.agents[2].tools = ['transfer_to_human', 'collect_digits'];
    expect(() => parseAgentCatalogue(data, 'x.yaml')).toThrowError(
      /agents\[4\]\.instructions: names "collect_digits", which the agent's tools list does not grant: say what to do.*; style: names "hang_up", which technical_support's tools list does not grant/,
    );
    // Granted, a named tool is accepted (a custom catalogue may name it); the shipped one leaves tools to the lists.
    data.agents[4].tools.push('collect_digits');
    data.agents[2].tools.push('hang_up');
    expect(() => parseAgentCatalogue(data, 'x.yaml')).not.toThrow();
  });

  it('keeps tool names out of the shipped prose: the tools lists are the one place they are named', async () => {
    const catalogue = await loadAgentCatalogue();
    const prose = [catalogue.style, ...catalogue.agents.flatMap((agent) => [agent.instructions, agent.greeting ?? ''])];
    for (const text of prose) {
      for (const tool of AGENT_TOOL_NAMES) expect(text).not.toContain(tool);
      expect(text).not.toMatch(/\b(transfer|keypad) tool\b/);
    }
  });

  it('rejects an intent served by two agents', () => {
    const data = shippedData();
    data.agents[2].intents[0].name = 'bill_explanation';
    expect(() => parseAgentCatalogue(data, 'x.yaml')).toThrowError(/agents\[2\]\.intents\[0\]\.name: duplicates intent "bill_explanation"/);
  });

  it('rejects a default agent that does not exist, an unknown field, and too few examples together', () => {
    const data = shippedData();
    data.defaultAgent = 'reception';
    data.agents[0].colour = 'blue';
    data.agents[3].intents[1].examples = ['upgrade'];
    let error: unknown;
    try {
      parseAgentCatalogue(data, 'x.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('defaultAgent: names "reception"');
    expect(message).toContain('agents[0]: Unrecognized key: "colour"');
    expect(message).toContain('agents[3].intents[1].examples: needs at least 3 example phrases');
  });

  it('names the file when it is not valid YAML or missing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'catalogue-'));
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'agents: [\n  - name: x\n');
    await expect(loadAgentCatalogue(file)).rejects.toThrowError(`Agent catalogue ${file} is not valid YAML`);
    await expect(loadAgentCatalogue(path.join(dir, 'missing.yaml'))).rejects.toThrowError(/Cannot read agent catalogue .*missing\.yaml/);
  });
});

describe('buildInstructions', () => {
  it('opens with the greeting and the shared voice style when the call starts on an agent', async () => {
    const catalogue = await loadAgentCatalogue();
    const text = buildInstructions(catalogue, 'front_desk');
    expect(text).toContain('Northwind Fiber');
    expect(text).toContain('Speak in short sentences');
    expect(text).toContain(`say: "${catalogue.agentsByName.get('front_desk')?.greeting}"`);
    expect(text).toContain('transfer_to_human');
    expect(text).not.toContain('# Handoff');
  });

  it('tells a specialist not to greet again after a handoff and says why the caller came', async () => {
    const catalogue = await loadAgentCatalogue();
    const text = buildInstructions(catalogue, 'retention', { previousAgent: 'front_desk', intent: 'cancel_service' });
    expect(text).toContain('Do not greet them again');
    expect(text).toContain('wants to cancel or disconnect');
    expect(text).not.toContain('# Opening');
    expect(text).toContain('Confirm identity first');
    expect(text).not.toContain('collect_digits asks');
  });

  it('is pure: the same inputs give the same text, and call parameters are listed', async () => {
    const catalogue = await loadAgentCatalogue();
    const context = { parameters: { purpose: 'overdue bill reminder' } };
    expect(buildInstructions(catalogue, 'billing', context)).toBe(buildInstructions(catalogue, 'billing', context));
    expect(buildInstructions(catalogue, 'billing', context)).toContain('- purpose: overdue bill reminder');
  });

  it('throws on an agent name that is not in the catalogue', async () => {
    const catalogue = await loadAgentCatalogue();
    expect(() => buildInstructions(catalogue, 'marketing')).toThrowError(/Unknown agent "marketing"/);
  });

  it('mentions only the tools the call has: none without Twilio REST, and says what is not possible instead', async () => {
    const catalogue = await loadAgentCatalogue();
    for (const agent of catalogue.agents) {
      const text = buildInstructions(catalogue, agent.name, { availableTools: [] });
      for (const purpose of Object.values(AGENT_TOOL_PURPOSES)) expect(text).not.toContain(purpose);
      expect(text).not.toContain('# Tools you may use');
      expect(text).toContain('# Tools\nYou have no tools on this call; do not promise actions you cannot take.');
      expect(text).toContain('# Not possible on this call (this overrides anything above)');
      for (const tool of AGENT_TOOL_NAMES) {
        if (agent.tools.includes(tool)) expect(text).toContain(AGENT_TOOL_UNAVAILABLE[tool]);
        else expect(text).not.toContain(AGENT_TOOL_UNAVAILABLE[tool]);
      }
    }
  });

  it('lists the available subset and overrides only what is missing; all tools available reads as the catalogue grants', async () => {
    const catalogue = await loadAgentCatalogue();
    const partial = buildInstructions(catalogue, 'front_desk', { availableTools: ['hang_up'] });
    expect(partial).toContain(`# Tools you may use\n- ${AGENT_TOOL_PURPOSES.hang_up}\n\n`);
    expect(partial).not.toContain(AGENT_TOOL_PURPOSES.transfer_to_human);
    expect(partial).toContain(AGENT_TOOL_UNAVAILABLE.transfer_to_human);
    expect(partial).not.toContain(AGENT_TOOL_UNAVAILABLE.hang_up);
    const all = buildInstructions(catalogue, 'front_desk', { availableTools: AGENT_TOOL_NAMES });
    expect(all).toBe(buildInstructions(catalogue, 'front_desk'));
    expect(all).toContain(AGENT_TOOL_PURPOSES.transfer_to_human);
    expect(all).not.toContain('# Not possible on this call');
  });
});
