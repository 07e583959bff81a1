import { describe, expect, it } from 'vitest';
import { createMemoryCallRecordStore } from '../../src/records/call-record-store.js';
import { replayWithRecords } from '../records/replay-with-records.js';

const TOKEN = 'metrics-token-0123456789';

/** The value of one sample line (`name{labels} value`) of a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics after a replayed call', () => {
  it.each([
    ['intent-change-billing-then-cancel.jsonl', { switches: ['front_desk', 'billing'], bargeIns: 0 }],
    ['barge-in-during-reply.jsonl', { switches: [], bargeIns: 1 }],
  ] as const)('%s: shows the counts and histogram samples that call produced', { timeout: 60_000 }, async (file, expected) => {
    const recordStore = await createMemoryCallRecordStore();
    await replayWithRecords(file, {
      recordStore,
      env: { METRICS_BEARER_TOKEN: TOKEN },
      check: async ({ bot, record }) => {
        expect((await bot.app.inject({ url: '/metrics' })).statusCode).toBe(401);
        const response = await bot.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        const text = response.body;
        if (!record) throw new Error('no record');
        expect(sample(text, 'voicebot_calls_active')).toBe(0);
        expect(sample(text, 'voicebot_calls_total{direction="inbound",end_reason="twilio_stop"}')).toBe(1);
        const latencies = record.turns.filter((t) => t.speaker === 'bot' && t.latencyMs !== undefined).length;
        expect(latencies).toBeGreaterThan(0);
        expect(sample(text, 'voicebot_turn_latency_seconds_count')).toBe(latencies);
        expect(sample(text, 'voicebot_first_audio_seconds_count')).toBe(1);
        expect(sample(text, 'voicebot_barge_ins_total')).toBe(record.bargeIns.length);
        if (expected.bargeIns > 0) expect(record.bargeIns.length).toBeGreaterThanOrEqual(expected.bargeIns);
        if (expected.switches.length > 0) {
          const [from, to] = expected.switches;
          expect(sample(text, `voicebot_agent_switches_total{from="${from}",to="${to}"}`)).toBe(1);
        }
        expect(sample(text, 'voicebot_orchestrator_update_seconds_count') ?? 0).toBe(record.sessionUpdates.length);
        const echoes = record.stream?.markRoundTripMs.count ?? 0;
        const stale = record.stream?.staleMarkEchoes ?? 0;
        expect(sample(text, 'voicebot_mark_rtt_seconds_count')).toBe(echoes - stale);
        expect(sample(text, 'voicebot_tokens_total{kind="output_audio"}')).toBe(record.usage.tokens.outputAudioTokens);
        // Zero on an idle machine; under load the consumer may lag, and the metric must say exactly what the call lost.
        expect(sample(text, 'voicebot_inbound_frames_dropped_total')).toBe(record.stream?.droppedInboundChunks);
        // Default process metrics, event-loop lag included.
        expect(text).toContain('nodejs_eventloop_lag_seconds');
        expect(text).toContain('process_cpu_seconds_total');
        // Voice buckets: 10 ms to 5 s.
        expect(text).toContain('voicebot_turn_latency_seconds_bucket{le="0.01"}');
        expect(text).toContain('voicebot_turn_latency_seconds_bucket{le="5"}');
      },
    });
    await recordStore.close();
  });
});
