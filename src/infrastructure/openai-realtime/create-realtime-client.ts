/**
 * The one construction path of a call's Realtime client: production (`CallManager`), the tests and the scripts all
 * build it here, so model, voice, key, endpoint and liveness deadlines always come from the validated `Config`.
 */
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { RealtimeClientLike } from '../realtime-client-events.js';
import { RealtimeClient, type RealtimeClientOptions } from './realtime-client.js';
import type { RealtimeTools } from './realtime-tools.js';

/** What one call adds to the process configuration. */
export interface RealtimeCallSettings {
  /** The agent's name (the SDK's agent name). */
  readonly name: string;
  /** Instructions the session opens with. */
  readonly instructions: string;
  readonly tools?: RealtimeTools;
  /** The call's child logger. */
  readonly logger: Logger;
}

/** The client options for one call: `config.openai` (model, voice, wire audio format, key, url) and `config.liveness` deadlines. */
export function realtimeClientOptionsFrom(config: Pick<Config, 'openai' | 'liveness'>, call: RealtimeCallSettings): RealtimeClientOptions {
  return {
    name: call.name,
    instructions: call.instructions,
    model: config.openai.realtimeModel,
    voice: config.openai.voice,
    audioFormat: config.openai.realtimeAudioFormat,
    apiKey: config.openai.apiKey,
    url: config.openai.realtimeUrl,
    connectTimeoutMs: config.liveness.realtimeConnectTimeoutMs,
    pingIntervalMs: config.liveness.realtimePingIntervalMs,
    pongTimeoutMs: config.liveness.realtimePongTimeoutMs,
    ...(call.tools ? { tools: call.tools } : {}),
    logger: call.logger,
  };
}

/** Builds one Realtime connection from its options; `CallManager` takes another to wrap or fake it in tests. */
export type RealtimeClientFactory = (options: RealtimeClientOptions) => RealtimeClientLike;

/** The production factory: a real `RealtimeClient`. */
export const createRealtimeClient: RealtimeClientFactory = (options) => new RealtimeClient(options);
