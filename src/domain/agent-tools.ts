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

/**
 * What the model is told instead when the catalogue grants a tool the call does not have (no Twilio REST credentials):
 * it must not promise the action, even where the agent's own instructions mention it.
 */
export const AGENT_TOOL_UNAVAILABLE: Readonly<Record<AgentToolName, string>> = {
  hang_up: 'You cannot end the call yourself: after your goodbye, let the caller hang up.',
  transfer_to_human:
    'You cannot transfer the call to a person or another line. If the caller asks for a human, say that nobody can take the call from here right now and keep helping as far as you can; never say you are connecting or transferring them.',
  collect_digits:
    'You cannot take keypad entries: never ask the caller to type numbers on the phone keypad, and do not take card numbers or PINs on this call.',
};
