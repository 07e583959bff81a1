/**
 * The seed's `ServiceConfig` in camelCase: what one call's `RealtimeService` runs with. `serviceConfigFrom` fills it
 * from the validated `Config` so call wiring never reads environment-derived values piecemeal.
 */
import type { RealtimeAudioFormatName } from '../audio/audio-format.js';
import type { Config } from '../config.js';
import type { RealtimeTools } from '../infrastructure/realtime-client.js';
import type { TurnDetectionSettings } from '../infrastructure/realtime-session-config.js';
import type { SameTurnSwitchPolicy } from './same-turn-switch.js';

/** Seed's `model_settings`: fixed for the whole session (the model and, once audio was produced, the voice). */
export interface ModelSettings {
  readonly model: string;
  readonly voice: string;
  readonly turnDetection?: TurnDetectionSettings | undefined;
  readonly transcriptionModel?: string | undefined;
  /** Realtime wire audio format; sets the service's PCM rate (8 kHz `pcmu`, 24 kHz `pcm16`). Default `pcmu`. */
  readonly audioFormat?: RealtimeAudioFormatName | undefined;
}

/** Seed's `ServiceConfig { name, initial_instruction, model_settings, agent_type, api_key }` plus endpoint and greeting. */
export interface ServiceConfig {
  /** Agent name shown to the SDK (and in traces, which are off). */
  readonly name: string;
  /** Instructions the session starts with. */
  readonly initialInstruction: string;
  readonly modelSettings: ModelSettings;
  /** Which kind of agent the orchestrator's results are for. */
  readonly agentType: 'realtime' | 'chat';
  readonly apiKey?: string | undefined;
  /** Realtime endpoint override (a local fake); undefined means OpenAI's. */
  readonly url?: string | undefined;
  /** Instructions for the first response when the bot speaks first; undefined means the session instructions. */
  readonly greeting?: string | undefined;
  /** Function tools the agent may call (the SDK runs them). */
  readonly tools?: RealtimeTools;
  /** When an agent switch re-routes the reply to the same turn (catalogue `sameTurnSwitch`); default: nothing heard. */
  readonly sameTurnSwitch?: SameTurnSwitchPolicy | undefined;
}

/** Per-call values the environment does not know. */
export interface ServiceConfigInput {
  readonly name: string;
  readonly initialInstruction: string;
  readonly greeting?: string | undefined;
  readonly tools?: RealtimeTools;
  readonly agentType?: 'realtime' | 'chat';
  readonly sameTurnSwitch?: SameTurnSwitchPolicy | undefined;
}

/** Builds a `ServiceConfig` from the process configuration (model, voice, key, endpoint) and per-call values. */
export function serviceConfigFrom(config: Config, input: ServiceConfigInput): ServiceConfig {
  return {
    name: input.name,
    initialInstruction: input.initialInstruction,
    modelSettings: { model: config.openai.realtimeModel, voice: config.openai.voice, audioFormat: config.openai.realtimeAudioFormat },
    agentType: input.agentType ?? 'realtime',
    apiKey: config.openai.apiKey,
    url: config.openai.realtimeUrl,
    greeting: input.greeting,
    tools: input.tools,
    sameTurnSwitch: input.sameTurnSwitch,
  };
}
