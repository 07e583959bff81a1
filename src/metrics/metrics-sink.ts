/**
 * The telemetry sink that feeds Prometheus: call counts at stream start and teardown, and one observation per
 * timeline event (turn latency, first audio, barge-in, agent switch, session update, mark echo, error, usage).
 * Label values are bounded: agents come from the catalogue, error codes are normalised, directions are two.
 */
import type { ObservedCall } from '../call/call-observer.js';
import { USAGE_KINDS } from '../infrastructure/openai-realtime/realtime-usage.js';
import type { TelemetrySink } from '../telemetry/telemetry-hub.js';
import type { TimelineEvent } from '../telemetry/timeline-events.js';
import { createVoicebotMetrics, type VoicebotMetrics } from './voicebot-metrics.js';

/** A label value for a Realtime error code: the code when it looks like one, `other` otherwise, `none` when absent. */
export function errorCodeLabel(code: string | undefined): string {
  if (code === undefined) return 'none';
  return /^[a-z0-9_.]{1,64}$/.test(code) ? code : 'other';
}

/** `inputAudioTokens` → `input_audio`. */
function kindLabel(kind: (typeof USAGE_KINDS)[number]): string {
  return kind.replace(/Tokens$/, '').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

interface LiveCall {
  readonly direction: string;
  readonly stats: ObservedCall['transport']['stats'];
  droppedReported: number;
}

/** The metrics and the sink that updates them. */
export interface MetricsSink extends TelemetrySink {
  readonly metrics: VoicebotMetrics;
}

/** Builds the metrics registry and its sink. */
export function createMetricsSink(options: { readonly defaultMetrics?: boolean } = {}): MetricsSink {
  const ringing = new Map<string, string>();
  const live = new Map<string, LiveCall>();
  const reportDrops = (call: LiveCall): void => {
    const dropped = call.stats().droppedInboundChunks;
    if (dropped > call.droppedReported) metrics.inboundFramesDropped.inc(dropped - call.droppedReported);
    call.droppedReported = dropped;
  };
  const metrics = createVoicebotMetrics({
    ...options,
    collectOnScrape: () => {
      for (const call of live.values()) reportDrops(call);
    },
  });

  const onTimeline = (event: TimelineEvent): void => {
    switch (event.type) {
      case 'turn_latency':
        return metrics.turnLatency.observe(event.latencyMs / 1000);
      case 'first_audio':
        return metrics.firstAudio.observe(event.latencyMs / 1000);
      case 'barge_in':
        return metrics.bargeIns.inc();
      case 'agent_switch':
        return metrics.agentSwitches.inc({ from: event.from, to: event.to });
      case 'instructions_updated':
        if (event.transcriptToUpdateMs !== undefined) metrics.orchestratorUpdate.observe(event.transcriptToUpdateMs / 1000);
        return;
      case 'mark_echo':
        if (event.roundTripMs !== undefined && !event.stale) metrics.markRtt.observe(event.roundTripMs / 1000);
        return;
      case 'realtime_error':
        return metrics.realtimeErrors.inc({ code: errorCodeLabel(event.code) });
      case 'usage':
        for (const kind of USAGE_KINDS) if (event.usage[kind] > 0) metrics.tokens.inc({ kind: kindLabel(kind) }, event.usage[kind]);
        return;
      case 'caller_turn':
      case 'bot_turn':
      case 'dtmf':
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  };

  return {
    metrics,
    callAnswered(call) {
      ringing.set(call.callSid, call.direction);
      // Bounded: a call that never streams is forgotten once many others have rung.
      if (ringing.size > 10_000) ringing.delete(ringing.keys().next().value as string);
    },
    streamStarted(call) {
      const raw = ringing.get(call.callSid) ?? call.start.customParameters.direction;
      ringing.delete(call.callSid);
      live.set(call.callSid, { direction: raw?.startsWith('outbound') ? 'outbound' : 'inbound', stats: () => call.transport.stats(), droppedReported: 0 });
      metrics.callsActive.inc();
    },
    timeline(_callSid, event) {
      onTimeline(event);
    },
    prewarmReleased(_callSid, cause) {
      metrics.prewarmsReleased.inc({ cause });
    },
    callEnded(summary) {
      const call = live.get(summary.callSid);
      if (!call) return;
      live.delete(summary.callSid);
      reportDrops(call);
      metrics.callsActive.dec();
      metrics.callsTotal.inc({ direction: call.direction, end_reason: summary.reason });
      if (summary.realtimeReconnects) metrics.realtimeSessionChanges.inc({ kind: 'reconnect' }, summary.realtimeReconnects);
      if (summary.realtimeRollovers) metrics.realtimeSessionChanges.inc({ kind: 'rollover' }, summary.realtimeRollovers);
    },
  };
}
