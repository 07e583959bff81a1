import { describe, expect, it } from 'vitest';
import { Keypad, type KeypadRelay } from '../../src/actions/keypad.js';
import { TwilioMediaTransport } from '../../src/telephony/media-transport.js';
import { captureLogger, FakeClock, FakeMediaSocket, wire } from '../telephony/fakes.js';
import { settle } from './fakes.js';

const STREAM_SID = 'MZ00000000000000000000000000000009';

/** A keypad over the real transport; the sink answers each batch when the test says (the session opening). */
function setup() {
  const socket = new FakeMediaSocket();
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const transport = new TwilioMediaTransport({ socket, streamSid: STREAM_SID, logger, clock });
  const sent: string[] = [];
  const answers: Array<(delivered: boolean) => void> = [];
  const relays: KeypadRelay[] = [];
  const keypad = new Keypad({
    transport,
    sink: { sendKeypadTurn: (text) => (sent.push(text), new Promise<boolean>((resolve) => answers.push(resolve))) },
    clock,
    logger,
    onRelayed: (relay) => relays.push(relay),
  });
  let sequence = 1;
  return {
    keypad,
    sent,
    answers,
    relays,
    lines,
    press(digits: string): void {
      for (const digit of digits) socket.receive(wire.dtmf({ streamSid: STREAM_SID, sequenceNumber: sequence++, digit }));
    },
    async advance(ms: number): Promise<void> {
      clock.advance(ms);
      await settle();
    },
  };
}

describe('Keypad', () => {
  it('batches key presses into one message and reports delivery only once the model got it', async () => {
    const pad = setup();
    pad.press('12');
    await pad.advance(500);
    pad.press('3');
    await pad.advance(900);
    expect(pad.sent).toEqual(['The caller pressed 1 2 3 on the phone keypad.']);
    // The session is still opening: nothing is recorded as delivered yet.
    expect(pad.relays).toEqual([]);
    pad.answers[0]!(true);
    await settle();
    expect(pad.relays).toEqual([{ digitCount: 3, delivered: true }]);
    expect(JSON.stringify(pad.lines)).not.toContain('1 2 3');
  });

  it('reports keys the session never took as not delivered', async () => {
    const pad = setup();
    pad.press('9');
    await pad.advance(900);
    pad.answers[0]!(false);
    await settle();
    expect(pad.relays).toEqual([{ digitCount: 1, delivered: false }]);
    expect(pad.lines.some((l) => l.msg === 'key presses not delivered to the model')).toBe(true);
  });

  it('gives keys to a collection instead of the model, after relaying what was batched before it', async () => {
    const pad = setup();
    pad.press('7');
    const collected = pad.keypad.collect({ count: 2, timeoutMs: 5_000 });
    expect(pad.sent).toEqual(['The caller pressed 7 on the phone keypad.']);
    pad.press('45');
    expect(await collected).toEqual({ digits: '45', terminatedBy: 'count' });
    await pad.advance(2_000);
    expect(pad.sent).toHaveLength(1);
  });

  it('relays a batch still waiting when the call ends', async () => {
    const pad = setup();
    pad.press('5');
    pad.keypad.dispose();
    expect(pad.sent).toEqual(['The caller pressed 5 on the phone keypad.']);
    pad.press('6');
    await pad.advance(2_000);
    expect(pad.sent).toHaveLength(1);
  });
});
