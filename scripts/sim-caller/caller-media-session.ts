/**
 * The media socket from Twilio's side for one simulated call: sends the fixture's inbound messages at their times
 * with this call's identity, plays the bot's audio on the call clock, echoes marks when their audio has played and
 * at once on `clear`, and notes anything a real Twilio would reject.
 */
import type { FixtureLine } from '../../src/fixtures/call-fixture.js';
import { CallerPlayback, type MarkRecord } from './caller-playback.js';
import type { CallerSocket } from './caller-transport.js';
import type { CallLogEntry, SimClock } from './sim-caller.js';

/** What a media session needs from the call it belongs to. */
export interface SessionContext {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly clock: SimClock;
  readonly callNow: () => number;
  readonly speed: number;
  readonly note: (who: CallLogEntry['who'], text: string, atMs?: number) => void;
}

/** The media socket from Twilio's side: sends the fixture, answers marks and clears. */
export class MediaSession {
  readonly playback = new CallerPlayback();
  readonly violations: string[] = [];
  readonly clears: { atMs: number; flushedMs: number }[] = [];
  sentMessages = 0;
  dtmfSent = '';
  sentStop = false;
  closed = false;
  closeCode: number | undefined;
  closedAtMs = 0;
  stopReason: 'fixture' | 'timeout' | undefined;
  #sequence = 0;
  #cancelMarkTimer: (() => void) | undefined;
  #closeWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: CallerSocket,
    private readonly ctx: SessionContext,
  ) {
    socket.onMessage((data, binary) => this.#onMessage(data, binary));
    socket.onClose((code) => {
      this.closed = true;
      this.closeCode = code;
      this.closedAtMs = Math.round(ctx.callNow());
      this.#cancelMarkTimer?.();
      for (const wake of this.#closeWaiters.splice(0)) wake();
    });
  }

  /** Sends the fixture's inbound lines at their times; stops early if the server closes the socket. */
  async replay(lines: readonly FixtureLine[]): Promise<void> {
    let sinceYield = 0;
    for (const line of lines) {
      // Recorded mark echoes belong to the recorded bot; this caller echoes the marks of the bot it talks to.
      if (line.dir !== 'in' || line.msg.event === 'mark') continue;
      const waitMs = (line.t_ms - this.ctx.callNow()) / this.ctx.speed;
      if (waitMs >= 1) {
        await this.#sleep(waitMs);
        sinceYield = 0;
      } else if (++sinceYield >= 50) {
        // At high speeds, still let the server's frames in between ours.
        await this.#sleep(0);
        sinceYield = 0;
      }
      if (this.closed) return;
      this.#send(this.#rewrite(line.msg));
      if (line.msg.event === 'stop') {
        this.sentStop = true;
        this.stopReason = 'fixture';
        return;
      }
    }
  }

  /** Sends a `stop` the fixture did not have (the caller gives up waiting). */
  sendStop(): void {
    this.stopReason = 'timeout';
    this.sentStop = true;
    this.#send({ event: 'stop', stop: { accountSid: this.ctx.accountSid, callSid: this.ctx.callSid } });
  }

  /** Resolves when the socket closes or after `callMs` of call time. */
  async waitForClose(callMs: number): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const cancel = this.ctx.clock.setTimer(resolve, callMs / this.ctx.speed);
      this.#closeWaiters.push(() => {
        cancel();
        resolve();
      });
    });
  }

  #sleep(realMs: number): Promise<void> {
    return new Promise((resolve) => this.ctx.clock.setTimer(resolve, realMs));
  }

  /** Puts this call's identity into a fixture message (SIDs, the TwiML's parameters) and numbers it. */
  #rewrite(msg: FixtureLine['msg']): Record<string, unknown> {
    const out: Record<string, unknown> = { ...msg };
    if (msg.event === 'connected') return out;
    if ('streamSid' in out) out.streamSid = this.ctx.streamSid;
    if (msg.event === 'start') {
      const start = (msg.start ?? {}) as Record<string, unknown>;
      out.start = { ...start, accountSid: this.ctx.accountSid, callSid: this.ctx.callSid, streamSid: this.ctx.streamSid, customParameters: { ...this.ctx.parameters } };
    }
    if (msg.event === 'stop') out.stop = { ...(msg.stop as object), accountSid: this.ctx.accountSid, callSid: this.ctx.callSid };
    if (msg.event === 'dtmf') {
      const digit = (msg.dtmf as { digit?: string } | undefined)?.digit ?? '';
      this.dtmfSent += digit;
      this.ctx.note('caller', `presses ${digit}`);
    }
    return out;
  }

  #send(msg: Record<string, unknown>): void {
    // sequenceNumber counts every message after `connected`, the caller's mark echoes included.
    if (msg.event !== 'connected') {
      msg.sequenceNumber = String(++this.#sequence);
      msg.streamSid = this.ctx.streamSid;
    }
    this.socket.send(JSON.stringify(msg));
    this.sentMessages += 1;
  }

  #onMessage(data: string, binary: boolean): void {
    const now = this.ctx.callNow();
    if (binary) {
      this.violations.push('binary frame (Twilio warning 31950)');
      return;
    }
    let msg: { event?: unknown; streamSid?: unknown; media?: { payload?: unknown }; mark?: { name?: unknown } };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      this.violations.push('frame that is not JSON (Twilio error 31951)');
      return;
    }
    if (msg.streamSid !== this.ctx.streamSid) {
      this.violations.push(`${String(msg.event)} with streamSid ${String(msg.streamSid)} (Twilio error 31951)`);
      return;
    }
    switch (msg.event) {
      case 'media':
        if (typeof msg.media?.payload !== 'string') this.violations.push('media without a payload');
        else this.playback.pushAudio(new Uint8Array(Buffer.from(msg.media.payload, 'base64')), now);
        break;
      case 'mark':
        if (typeof msg.mark?.name !== 'string') this.violations.push('mark without a name');
        else this.playback.pushMark(msg.mark.name, now);
        break;
      case 'clear': {
        const { flushedMarks, flushedMs } = this.playback.clear(now);
        this.clears.push({ atMs: Math.round(now), flushedMs });
        this.ctx.note('twilio', `clear: ${Math.round(flushedMs)} ms of bot audio flushed`, now);
        for (const mark of flushedMarks) this.#echo(mark);
        break;
      }
      default:
        this.violations.push(`unexpected event ${String(msg.event)} (Twilio error 31951)`);
        return;
    }
    this.#scheduleMarks();
  }

  #echo(mark: MarkRecord): void {
    if (this.closed || this.sentStop) return;
    this.#send({ event: 'mark', mark: { name: mark.name } });
  }

  /** Keeps one timer armed for the next mark to come due on the call clock. */
  #scheduleMarks(): void {
    this.#cancelMarkTimer?.();
    this.#cancelMarkTimer = undefined;
    const next = this.playback.nextDueMs();
    if (next === undefined || this.closed) return;
    this.#cancelMarkTimer = this.ctx.clock.setTimer(() => {
      for (const mark of this.playback.takeDueMarks(this.ctx.callNow())) this.#echo(mark);
      this.#scheduleMarks();
    }, (next - this.ctx.callNow()) / this.ctx.speed);
  }
}
