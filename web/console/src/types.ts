/** The server's JSON shapes the console reads (see src/console/live-board.ts and src/records/call-record.ts). */

export interface Turn {
  readonly speaker: 'caller' | 'bot';
  readonly itemId: string;
  readonly agent?: string;
  readonly text?: string | null;
  readonly startMs?: number;
  readonly interrupted?: boolean;
  readonly heardMs?: number;
  readonly latencyMs?: number;
}

export interface AgentSwitch {
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  readonly intent?: string | null;
  readonly confidence?: number | null;
}

export interface LiveCall {
  callSid: string;
  direction: string;
  from: string | null;
  startedAtMs: number;
  agent: string;
  turns: Turn[];
  latenciesMs: number[];
  agentSwitches: AgentSwitch[];
  bargeIns: Array<{ atMs: number; heardMs?: number; cancelledResponse: boolean }>;
  dtmf: Array<{ atMs: number; digit: string | null }>;
  errors: Array<{ atMs: number; message: string }>;
  firstAudioMs: number | null;
  usage: { responses: number; inputTokens: number; outputTokens: number };
}

export type TimelineEvent = { type: string } & Record<string, unknown>;

export type LiveUpdate =
  | { type: 'call_started'; call: LiveCall }
  | { type: 'call_event'; callSid: string; event: TimelineEvent }
  | { type: 'call_ended'; callSid: string; reason: string };

export type StreamMessage = { type: 'snapshot'; calls: LiveCall[] } | { type: 'updates'; updates: LiveUpdate[] };

export interface CallListItem {
  callSid: string;
  from: string | null;
  startedAt: string;
  durationMs: number | null;
  endReason: string | null;
  agents: string[];
  estimatedCostUsd: number | null;
}

export interface CallRecord {
  callSid: string;
  from: string | null;
  durationMs: number | null;
  endReason: string | null;
  turns: Turn[];
  agentSwitches: AgentSwitch[];
  bargeIns: Array<{ atMs: number; heardMs: number | null; cancelledResponse: boolean }>;
  dtmf: Array<{ atMs: number; digit: string | null }>;
  actions: Array<{ kind?: string; name?: string; outcome?: string; [key: string]: unknown }>;
  firstAudioMs: number | null;
  usage: { responses: number; tokens: Record<string, number>; estimatedCostUsd: number | null };
}
