/**
 * Shared setup of the action tests: a real `TwilioMediaTransport` over a fake media socket and a fake clock, the
 * recording REST fake behind the real `TwilioCallControl`, and a Realtime stand-in.
 */
import { readFileSync } from 'node:fs';
import { CallActions, type CallActionsOptions } from '../../src/actions/call-actions.js';
import { Keypad } from '../../src/actions/keypad.js';
import { DEFAULT_IDLE_SETTINGS, DEFAULT_MAX_DURATION_SETTINGS, type AgentCallSettings } from '../../src/actions/call-settings.js';
import { createTwilioCallControl } from '../../src/actions/twilio-call-control.js';
import { TwilioMediaTransport } from '../../src/telephony/media-transport.js';
import { captureLogger, FakeClock, FakeMediaSocket, wire } from '../telephony/fakes.js';
import { FakeRealtime, FakeTwilioRest, settle } from './fakes.js';

export const STREAM_SID = 'MZ00000000000000000000000000000001';
export const CALL_SID = 'CA00000000000000000000000000000001';

/** Settings like the catalogue's front desk. */
export function frontDeskSettings(overrides: Partial<AgentCallSettings> = {}): AgentCallSettings {
  return {
    agent: 'front_desk',
    tools: ['hang_up', 'transfer_to_human', 'collect_digits'],
    transferTo: '+15550100200',
    transferDepartments: { technical_support: 'sip:tier2@support.northwind.example' },
    transferAnnouncement: 'Please hold while I connect you to a colleague.',
    idle: DEFAULT_IDLE_SETTINGS,
    maxDuration: DEFAULT_MAX_DURATION_SETTINGS,
    ...overrides,
  };
}

/** A golden TwiML document from `twiml/`. */
export function golden(name: string): string {
  return readFileSync(new URL(`../../twiml/${name}`, import.meta.url), 'utf8');
}

/** PCM16 24 kHz tone of `ms` milliseconds. */
export function pcm24k(ms: number): Int16Array {
  const pcm = new Int16Array(ms * 24);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 24000));
  return pcm;
}

/** One call's actions over real transport code. */
export function setupCall(overrides: Partial<CallActionsOptions> = {}, settings = frontDeskSettings()) {
  const socket = new FakeMediaSocket();
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const transport = new TwilioMediaTransport({ socket, streamSid: STREAM_SID, logger, clock });
  const rest = new FakeTwilioRest();
  const realtime = new FakeRealtime();
  const control = createTwilioCallControl({ client: rest, logger, clock });
  const state = { settings };
  const keypad = new Keypad({ transport, sink: realtime, clock, logger });
  const actions = new CallActions({
    callSid: CALL_SID,
    transport,
    realtime,
    control,
    settings: () => state.settings,
    logger,
    clock,
    keypad,
    ...overrides,
  });
  let echoed = 0;
  let sequence = 10;
  return {
    socket,
    clock,
    transport,
    rest,
    realtime,
    actions,
    keypad,
    lines,
    state,
    /** The bot says something: Realtime audio reaches the transport as the call wiring's pump would deliver it. */
    speak(itemId: string, ms: number): void {
      const pcm = pcm24k(ms);
      realtime.emit({ type: 'audio', itemId, responseId: 'resp_x', pcm });
      transport.sendAudio(itemId, pcm);
      transport.endItem(itemId);
    },
    /** Twilio echoes every mark sent so far (the audio before them has played). */
    echoMarks(): number {
      const names = socket.sentJson().flatMap((m) => (m.event === 'mark' ? [(m.mark as { name: string }).name] : []));
      const fresh = names.slice(echoed);
      echoed = names.length;
      for (const name of fresh) socket.receive(wire.mark({ streamSid: STREAM_SID, sequenceNumber: sequence++, name }));
      return fresh.length;
    },
    press(digit: string): void {
      socket.receive(wire.dtmf({ streamSid: STREAM_SID, sequenceNumber: sequence++, digit }));
    },
    stop(): void {
      socket.receive(wire.stop({ streamSid: STREAM_SID, callSid: CALL_SID, sequenceNumber: sequence++ }));
    },
    /** Moves the fake clock in small steps, letting promise chains run between them. */
    async advance(ms: number, stepMs = 50): Promise<void> {
      for (let done = 0; done < ms; done += stepMs) {
        clock.advance(Math.min(stepMs, ms - done));
        await settle();
      }
    },
  };
}
