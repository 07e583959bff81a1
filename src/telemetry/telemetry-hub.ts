/**
 * Fans one call's observations out to the telemetry sinks (call records, metrics): each sink sees the call manager's
 * observer callbacks, and one shared `CallTimeline` per call feeds every sink's `timeline` method, so the events are
 * derived once however many sinks there are.
 */
import type { CallObserver } from '../call/call-observer.js';
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import { CallTimeline, type TimelineClock } from './call-timeline.js';
import type { TimelineEvent } from './timeline-events.js';

/** A call observer that also receives each call's timeline events. Must not throw. */
export interface TelemetrySink extends CallObserver {
  timeline?(callSid: string, event: TimelineEvent): void;
}

/** Builds the observer the call manager is given. */
export function createTelemetryHub(options: {
  readonly sinks: readonly TelemetrySink[];
  readonly clock: TimelineClock;
  readonly logger: Logger;
}): CallObserver {
  const { sinks, clock, logger } = options;
  const timelines = new Map<string, CallTimeline>();
  const each = (call: (sink: TelemetrySink) => void): void => {
    for (const sink of sinks) {
      try {
        call(sink);
      } catch (error) {
        logger.error({ err: toError(error) }, 'telemetry sink failed');
      }
    }
  };
  return {
    callAnswered(call) {
      each((sink) => sink.callAnswered?.(call));
    },
    streamStarted(call) {
      each((sink) => sink.streamStarted?.(call));
      timelines.get(call.callSid)?.stop();
      const timeline = new CallTimeline({
        call,
        clock,
        listener: (event) => each((sink) => sink.timeline?.(call.callSid, event)),
      });
      timelines.set(call.callSid, timeline);
    },
    prewarmReleased(callSid, cause) {
      each((sink) => sink.prewarmReleased?.(callSid, cause));
    },
    callEnded(summary) {
      timelines.get(summary.callSid)?.stop();
      timelines.delete(summary.callSid);
      each((sink) => sink.callEnded?.(summary));
    },
  };
}
