import { describe, expect, it } from 'vitest';
import type { ServiceEvent, ServiceListener } from '../../src/service/service-events.js';
import { CallTimeline } from '../../src/telemetry/call-timeline.js';
import type { TimelineEvent } from '../../src/telemetry/timeline-events.js';
import type { MediaTransportEvents } from '../../src/telephony/transport-events.js';
import type { MediaTransportStats } from '../../src/telephony/media-transport.js';
import { emptyMediaTransportStats } from '../../src/telephony/media-transport-stats.js';
import { FakeClock } from '../telephony/fakes.js';

/** A call whose transport and service the test drives by hand; inbound audio advances with the clock. */
function fakeCall(clock: FakeClock, collecting = () => false) {
  const serviceListeners = new Set<ServiceListener>();
  const transportListeners = new Map<keyof MediaTransportEvents, Set<(payload: unknown) => void>>();
  const emit = <K extends keyof MediaTransportEvents>(event: K, payload: MediaTransportEvents[K]) => transportListeners.get(event)?.forEach((l) => l(payload));
  const startedAt = clock.now();
  const stats = (): MediaTransportStats => ({ ...emptyMediaTransportStats(), inboundFrames: Math.floor((clock.now() - startedAt) / 20) });
  return {
    call: {
      agent: 'front_desk',
      collectingDigits: collecting,
      service: {
        on: (l: ServiceListener) => (serviceListeners.add(l), () => serviceListeners.delete(l)),
        // Every caller frame reached the model: its input clock is the media clock.
        get callerAudioDeliveredMs() {
          return stats().inboundFrames * 20;
        },
      },
      transport: {
        stats,
        on<K extends keyof MediaTransportEvents>(event: K, l: (p: MediaTransportEvents[K]) => void) {
          const set = transportListeners.get(event) ?? new Set();
          transportListeners.set(event, set);
          const listener = l as (payload: unknown) => void;
          set.add(listener);
          return () => set.delete(listener);
        },
      },
    },
    service: (event: ServiceEvent) => serviceListeners.forEach((l) => l(event)),
    mark: (name: string, roundTripMs: number, stale = false) => emit('mark', { name, roundTripMs, stale }),
    dtmf: (digit: string) => emit('dtmf', { digit }),
  };
}

describe('CallTimeline', () => {
  it('measures turn latency from the caller speech end to the first echoed bot audio, with realistic timing', () => {
    const clock = new FakeClock(10_000);
    const events: TimelineEvent[] = [];
    const call = fakeCall(clock);
    new CallTimeline({ call: call.call as never, clock, listener: (e) => events.push(e) });
    // The greeting: its first 80 ms chunk is echoed 600 ms after the stream started (sent 100 ms before).
    clock.advance(600);
    call.mark('g0:greet:80', 100);
    expect(events.find((e) => e.type === 'first_audio')).toEqual({ type: 'first_audio', atMs: 520, latencyMs: 520 });
    // The caller speaks 3000–4500 ms; the VAD reports the end 500 ms later (its silence window).
    clock.advance(2_400);
    call.service({ type: 'speech_started', itemId: 'u1', audioStartMs: 3_000, audible: false });
    clock.advance(2_000);
    call.service({ type: 'speech_stopped', itemId: 'u1', audioEndMs: 4_500 });
    // The transcript lands 300 ms later; the reply's first 80 ms chunk is echoed 980 ms after that, so its audio
    // reached the caller 500 + 300 + 980 - 80 = 1700 ms after the caller stopped speaking.
    clock.advance(300);
    call.service({ type: 'transcript', role: 'user', itemId: 'u1', text: 'my internet is down', final: true });
    clock.advance(980);
    call.mark('g0:reply:80', 400);
    expect(events.find((e) => e.type === 'turn_latency')).toEqual({ type: 'turn_latency', itemId: 'reply', latencyMs: 1_700 });
    const bot = events.filter((e) => e.type === 'bot_turn').at(-1);
    expect(bot).toMatchObject({ turn: { itemId: 'reply', startMs: 6_200, latencyMs: 1_700, heardMs: 80 } });
    const caller = events.filter((e) => e.type === 'caller_turn').at(-1);
    expect(caller).toEqual({ type: 'caller_turn', turn: { speaker: 'caller', itemId: 'u1', startMs: 3_000, endMs: 4_500, text: 'my internet is down' } });
  });

  it('pairs an agent switch with the intent that caused it and times transcript → session.update', () => {
    const clock = new FakeClock();
    const events: TimelineEvent[] = [];
    const call = fakeCall(clock);
    new CallTimeline({ call: call.call as never, clock, listener: (e) => events.push(e) });
    call.service({ type: 'transcript', role: 'user', itemId: 'u1', text: 'cancel my service', final: true });
    clock.advance(15);
    call.service({ type: 'intent', result: { intent: 'cancel_service', confidence: 0.82, agent: 'retention', instruction_update: 'x' } });
    clock.advance(5);
    call.service({ type: 'instructions_updated', agent: 'retention' });
    expect(events.filter((e) => e.type === 'agent_switch')).toEqual([
      { type: 'agent_switch', atMs: 20, from: 'front_desk', to: 'retention', intent: 'cancel_service', confidence: 0.82 },
    ]);
    expect(events.filter((e) => e.type === 'instructions_updated')).toEqual([{ type: 'instructions_updated', atMs: 20, agent: 'retention', transcriptToUpdateMs: 20 }]);
  });

  it('masks a key typed into a digit collection and keeps other key presses', () => {
    const clock = new FakeClock();
    let collecting = false;
    const events: TimelineEvent[] = [];
    const call = fakeCall(clock, () => collecting);
    new CallTimeline({ call: call.call as never, clock, listener: (e) => events.push(e) });
    call.dtmf('1');
    collecting = true;
    call.dtmf('4');
    call.dtmf('2');
    expect(events.filter((e) => e.type === 'dtmf').map((e) => (e.type === 'dtmf' ? e.digit : 'x'))).toEqual(['1', undefined, undefined]);
  });

  it('marks the interrupted bot turn with what the caller heard on a barge-in, and ignores stale echoes', () => {
    const clock = new FakeClock();
    const events: TimelineEvent[] = [];
    const call = fakeCall(clock);
    new CallTimeline({ call: call.call as never, clock, listener: (e) => events.push(e) });
    clock.advance(1_000);
    call.mark('g0:b1:80', 200);
    clock.advance(400);
    call.mark('g0:b1:480', 420);
    call.service({ type: 'barge_in', at: clock.now(), cancelledResponseId: 'r1', truncations: [{ itemId: 'b1', audioEndMs: 530 }], deletedItemIds: [] });
    call.mark('g0:b1:560', 100, true);
    const last = events.filter((e) => e.type === 'bot_turn').at(-1);
    expect(last).toMatchObject({ turn: { itemId: 'b1', interrupted: true, heardMs: 530 } });
    expect(events.find((e) => e.type === 'barge_in')).toEqual({ type: 'barge_in', atMs: 1_400, itemId: 'b1', heardMs: 530, cancelledResponse: true });
  });
});
