/**
 * The telemetry sink that keeps call records: remembers ringing calls (voice webhook: when, from, to, direction),
 * opens a `CallRecorder` when a stream starts (the call row is written then), feeds it the call's timeline, flushes
 * every live call's buffer on one tick (`RecordFlusher`) and finalises the record at teardown. `onStarted` /
 * `onFinished` let the webhook outbox follow (`call.started`, `call.ended`).
 */
import type { CallSummary } from '../call/call-session.js';
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IncomingCall } from '../telephony/call-handler.js';
import type { Clock } from '../telephony/clock.js';
import type { TelemetrySink } from '../telemetry/telemetry-hub.js';
import type { CallDirection, CallStart } from './call-record.js';
import type { CallRecordStore, EpochMs } from './call-record-store.js';
import { CallRecorder } from './call-recorder.js';
import { RecordFlusher } from './record-flusher.js';
import type { CallRecordConfig } from './record-config.js';
import { recordPhoneNumber } from './phone-mask.js';
import { pricesFor } from './price-table.js';

/** A ringing call is forgotten after this long without its stream (the caller hung up while it rang). */
export const RINGING_MEMORY_MS = 10 * 60_000;

/** What `call.started` says: phone numbers already masked unless configured. */
export interface CallStarted {
  readonly callSid: string;
  readonly direction: CallDirection;
  readonly from: string | null;
  readonly to: string | null;
  readonly startedAt: string;
}

interface Ringing {
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  readonly direction: string;
}

/** Options of {@link createRecordsSink}. */
export interface RecordsSinkOptions {
  readonly store: CallRecordStore;
  readonly config: Pick<CallRecordConfig, 'phoneNumbers' | 'storeTranscripts' | 'prices'>;
  /** The Realtime model, to pick its prices. */
  readonly model: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly now?: EpochMs;
  /** How often live calls' buffered entries are written (default `RECORD_FLUSH_INTERVAL_MS`, 1 s). */
  readonly flushIntervalMs?: number;
  /**
   * A call began: its voice webhook arrived (it rings), or its stream started without one (an outbound call);
   * the webhook outbox enqueues `call.started`.
   */
  readonly onStarted?: (call: CallStarted) => void;
  /** The record was finalised; the webhook outbox enqueues `call.ended`. */
  readonly onFinished?: (callSid: string) => void | Promise<void>;
}

/** The records sink, plus a way to wait for every write in flight (shutdown, tests). */
export interface RecordsSink extends TelemetrySink {
  /** Resolves when every record finalisation begun so far is written. */
  settled(): Promise<void>;
}

function directionOf(value: string | undefined): CallDirection {
  return value?.startsWith('outbound') ? 'outbound' : 'inbound';
}

/** Builds the sink. */
export function createRecordsSink(options: RecordsSinkOptions): RecordsSink {
  const { store, config, logger } = options;
  const now = options.now ?? Date.now;
  const prices = pricesFor(options.model, config.prices);
  const ringing = new Map<string, Ringing>();
  const recorders = new Map<string, CallRecorder>();
  const finishing = new Set<Promise<void>>();
  // One flush tick for every live call (see record-flusher.ts).
  const flusher = new RecordFlusher({ store, clock: options.clock, logger, intervalMs: options.flushIntervalMs });

  const forgetStaleRinging = (at: number): void => {
    for (const [callSid, call] of ringing) {
      if (at - call.atMs < RINGING_MEMORY_MS) break;
      ringing.delete(callSid);
    }
  };

  return {
    callAnswered(call: IncomingCall) {
      const at = now();
      forgetStaleRinging(at);
      ringing.set(call.callSid, { atMs: at, from: call.from, to: call.to, direction: call.direction });
      options.onStarted?.({
        callSid: call.callSid,
        direction: directionOf(call.direction),
        from: recordPhoneNumber(call.from, config.phoneNumbers),
        to: recordPhoneNumber(call.to, config.phoneNumbers),
        startedAt: new Date(at).toISOString(),
      });
    },
    streamStarted(call) {
      const at = now();
      const rang = ringing.get(call.callSid);
      ringing.delete(call.callSid);
      const custom = call.start.customParameters;
      const start: CallStart = {
        callSid: call.callSid,
        streamSid: call.streamSid,
        direction: directionOf(rang?.direction ?? custom.direction),
        from: recordPhoneNumber(rang?.from ?? custom.from, config.phoneNumbers),
        to: recordPhoneNumber(rang?.to ?? custom.to, config.phoneNumbers),
        startedAtMs: rang?.atMs ?? at,
        answeredAtMs: at,
        initialAgent: call.agent,
        transcriptsStored: config.storeTranscripts,
      };
      const recorder = new CallRecorder({
        callSid: call.callSid,
        store,
        initialAgent: call.agent,
        storeTranscripts: config.storeTranscripts,
        prices,
        flusher,
        logger: call.logger,
        stats: () => call.transport.stats(),
        actions: call.actions,
      });
      recorders.set(call.callSid, recorder);
      store.startCall(start).catch((error: unknown) => call.logger.warn({ err: toError(error) }, 'call record could not be started'));
      if (!rang) {
        const { callSid, direction, from, to } = start;
        options.onStarted?.({ callSid, direction, from, to, startedAt: new Date(start.startedAtMs).toISOString() });
      }
    },
    timeline(callSid, event) {
      recorders.get(callSid)?.onTimeline(event);
    },
    callEnded(summary: CallSummary) {
      const recorder = recorders.get(summary.callSid);
      if (!recorder) return;
      recorders.delete(summary.callSid);
      const done = recorder
        .finish({
          endedAtMs: now(),
          endReason: summary.reason,
          outcome: summary.outcome?.kind,
          durationMs: summary.durationMs,
          actions: summary.actions,
          realtimeReconnects: summary.realtimeReconnects,
          realtimeRollovers: summary.realtimeRollovers,
        })
        .then(() => options.onFinished?.(summary.callSid))
        .catch((error: unknown) => logger.warn({ err: toError(error), callSid: summary.callSid }, 'call record could not be finalised'));
      finishing.add(done);
      void done.finally(() => finishing.delete(done));
    },
    async settled() {
      await Promise.allSettled([...finishing]);
    },
  };
}
