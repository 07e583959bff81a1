import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createVoicebotMetrics } from '../../src/metrics/voicebot-metrics.js';

const dashboard = JSON.parse(readFileSync('deploy/grafana/voicebot-dashboard.json', 'utf8')) as {
  panels: { id: number; title: string; targets: { expr: string }[] }[];
};

describe('deploy/grafana/voicebot-dashboard.json', () => {
  it('charts only metrics the bot exports (turn latency p50/p95, active calls, barge-ins, errors among them)', async () => {
    const { registry } = createVoicebotMetrics();
    const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:voicebot|nodejs|process)_[a-z0-9_]+?)(?:_bucket|_count|_sum)?\b(?=[{[ )]|$)/g)].map((m) => m[1] as string))));
    for (const name of used) expect(exported, name).toContain(name);
    for (const name of ['voicebot_turn_latency_seconds', 'voicebot_calls_active', 'voicebot_barge_ins_total', 'voicebot_realtime_errors_total']) expect(used).toContain(name);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprs).toContain('histogram_quantile(0.5, sum by (le) (rate(voicebot_turn_latency_seconds_bucket');
    expect(exprs).toContain('histogram_quantile(0.95, sum by (le) (rate(voicebot_turn_latency_seconds_bucket');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });
});
