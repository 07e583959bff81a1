/**
 * The bot's Prometheus metrics (prom-client) in one registry per server: Node's default process metrics (CPU,
 * memory, GC, event-loop lag) plus the voice metrics below. Everything is counted per call event (a turn, a mark
 * echo, a barge-in), never per audio frame; frame drops are read from the transports' counters at scrape time.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Voice-scale buckets, in seconds: 10 ms … 5 s (turn latency targets sit around 0.5–1.5 s). */
export const VOICE_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];

/** Every metric the bot exports. */
export interface VoicebotMetrics {
  readonly registry: Registry;
  readonly callsActive: Gauge;
  readonly callsTotal: Counter<'direction' | 'end_reason'>;
  readonly turnLatency: Histogram;
  readonly firstAudio: Histogram;
  readonly bargeIns: Counter;
  readonly agentSwitches: Counter<'from' | 'to'>;
  readonly orchestratorUpdate: Histogram;
  readonly markRtt: Histogram;
  readonly realtimeErrors: Counter<'code'>;
  readonly inboundFramesDropped: Counter;
  readonly tokens: Counter<'kind'>;
  readonly prewarmsReleased: Counter<'cause'>;
  readonly realtimeSessionChanges: Counter<'kind'>;
}

/** Creates the registry and its metrics; `collectOnScrape` runs before each scrape (frame-drop deltas). */
export function createVoicebotMetrics(options: { readonly defaultMetrics?: boolean; readonly collectOnScrape?: () => void } = {}): VoicebotMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const histogram = (name: string, help: string) => new Histogram({ name, help, buckets: VOICE_BUCKETS_SECONDS, registers });
  return {
    registry,
    callsActive: new Gauge({ name: 'voicebot_calls_active', help: 'Calls with a live media stream on this instance.', registers }),
    callsTotal: new Counter({ name: 'voicebot_calls_total', help: 'Calls ended, by direction and end reason.', labelNames: ['direction', 'end_reason'], registers }),
    turnLatency: histogram('voicebot_turn_latency_seconds', "Caller speech end to the bot's first audio at the caller (from mark echoes)."),
    firstAudio: histogram('voicebot_first_audio_seconds', "Media stream start to the greeting's first audio at the caller."),
    bargeIns: new Counter({ name: 'voicebot_barge_ins_total', help: 'Times the caller talked over the bot (clear + truncate).', registers }),
    agentSwitches: new Counter({ name: 'voicebot_agent_switches_total', help: 'Agent changes made by the orchestrator.', labelNames: ['from', 'to'], registers }),
    orchestratorUpdate: histogram('voicebot_orchestrator_update_seconds', "Caller's final transcript to the session.update that changed the instructions."),
    markRtt: histogram('voicebot_mark_rtt_seconds', 'Twilio mark sent to echoed (includes the audio queued before the mark).'),
    realtimeErrors: new Counter({ name: 'voicebot_realtime_errors_total', help: 'Errors on Realtime sessions, by server error code.', labelNames: ['code'], registers }),
    inboundFramesDropped: new Counter({
      name: 'voicebot_inbound_frames_dropped_total',
      help: 'Inbound audio chunks dropped because the consumer lagged.',
      registers,
      collect: options.collectOnScrape,
    }),
    realtimeSessionChanges: new Counter({
      name: 'voicebot_realtime_reconnects_total',
      help: 'New Realtime sessions of live calls: after a drop (kind=reconnect) or before the session limit (kind=rollover).',
      labelNames: ['kind'],
      registers,
    }),
    tokens: new Counter({ name: 'voicebot_tokens_total', help: 'Realtime tokens used, by kind (from response.done usage).', labelNames: ['kind'], registers }),
    prewarmsReleased: new Counter({
      name: 'voicebot_prewarms_released_total',
      help: 'Pre-warmed Realtime sessions closed unused, by cause (stream_elsewhere: the stream started on another instance).',
      labelNames: ['cause'],
      registers,
    }),
  };
}
