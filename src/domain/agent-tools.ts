/**
 * The fixed set of tool names an agent in the catalogue may be allowed to use. The tools themselves live with the
 * telephony actions; the catalogue only grants them, so a typo in a YAML file fails at startup instead of mid-call.
 */

/** Every tool name the catalogue accepts. */
export const AGENT_TOOL_NAMES = ['hang_up', 'transfer_to_human', 'collect_digits'] as const;

/** One allowed tool name. */
export type AgentToolName = (typeof AGENT_TOOL_NAMES)[number];

/** What each tool is for, in the words the model reads inside an agent's instructions. */
export const AGENT_TOOL_PURPOSES: Readonly<Record<AgentToolName, string>> = {
  hang_up: 'hang_up ends the call after your goodbye has been spoken; use it only when the caller is done.',
  transfer_to_human:
    'transfer_to_human connects the caller to a human colleague; say one short sentence first, then use it.',
  collect_digits:
    'collect_digits asks the caller to type numbers on the phone keypad (account numbers, card details) so they are never spoken aloud.',
};
