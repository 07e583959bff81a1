import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DevTunnelConfig } from '../../src/dev-tunnel/dev-tunnel-config.js';
import { twilioPhoneNumberWebhooks } from '../../src/dev-tunnel/phone-number-webhooks.js';
import { fileRestoreRecordStore, RESTORE_RECORD_FILE, type RestoreRecordStore } from '../../src/dev-tunnel/restore-record.js';
import {
  DevTunnelStoppedError,
  restorePendingWebhooks,
  startDevTunnel,
  type DevTunnelOptions,
} from '../../src/dev-tunnel/run-dev-tunnel.js';
import type { OpenTunnel } from '../../src/dev-tunnel/tunnel.js';
import { FakeTwilioNumbers, fakeNumber, type FakeNumber } from '../../fakes/twilio-numbers.js';

const SID = 'PN0123456789abcdef0123456789abcdef';
const NUMBER = '+15550100123';

function config(dataDir: string): DevTunnelConfig {
  return {
    ngrokAuthtoken: 'ngrok-token',
    ngrokDomain: undefined,
    twilioAccountSid: 'AC0123456789abcdef0123456789abcdef',
    twilioAuthToken: '0123456789abcdef0123456789abcdef',
    twilioPhoneNumber: NUMBER,
    port: 5050,
    dataDir,
  };
}

/** The number as most accounts have it: a POST webhook somewhere else, no status callback. */
const OLD = fakeNumber({ voiceUrl: 'https://old.example.com/voice', voiceMethod: 'GET' });

/** Logs a store's writes and clears into the shared event list, so the order against Twilio requests shows. */
function recordingStore(store: RestoreRecordStore, events: string[]): RestoreRecordStore {
  return {
    location: store.location,
    read: () => store.read(),
    write: async (record) => {
      await store.write(record);
      events.push('record written');
    },
    clear: async () => {
      await store.clear();
      events.push('record cleared');
    },
  };
}

interface Fakes {
  readonly options: DevTunnelOptions;
  readonly events: string[];
  readonly exits: number[];
  readonly lines: string[];
  readonly rest: FakeTwilioNumbers;
  readonly dataDir: string;
  signal(name: string): void;
}

/** Records every external call in order, so tests read the whole story as a list. */
function fakes(
  overrides: { failServer?: boolean; number?: FakeNumber | null; rest?: FakeTwilioNumbers; dataDir?: string; tunnelUrl?: string; running?: number[] } = {},
): Fakes {
  const events: string[] = [];
  let signalHandler: ((signal: string) => void) | undefined;
  const exits: number[] = [];
  const lines: string[] = [];
  const number = overrides.number === undefined ? { ...OLD } : overrides.number;
  const rest = overrides.rest ?? new FakeTwilioNumbers(number === null ? [] : [number], events);
  if (overrides.rest) rest.requests.length = 0;
  const requests = rest.requests;
  // One story: Twilio's requests land in this run's event list.
  const log = (line: string): void => void requests.push(line);
  const dataDir = overrides.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dev-tunnel-'));
  const tunnelUrl = overrides.tunnelUrl ?? 'https://abc.ngrok.app';
  const openTunnel: OpenTunnel = async ({ port, domain }) => {
    log(`tunnel open ${port} ${domain ?? '-'}`);
    return { url: tunnelUrl, close: async () => log('tunnel close') };
  };
  const options: DevTunnelOptions = {
    config: config(dataDir),
    startServer: async (url) => {
      log(`server start ${url}`);
      if (overrides.failServer) throw new Error('port in use');
      return { close: async () => log('server close') };
    },
    openTunnel,
    phoneNumbers: twilioPhoneNumberWebhooks(rest),
    restoreRecords: recordingStore(fileRestoreRecordStore(dataDir), requests),
    isProcessRunning: (pid) => (overrides.running ?? []).includes(pid),
    pid: 4242,
    now: () => new Date('2026-11-29T12:00:00Z'),
    onSignal: (handler) => {
      signalHandler = handler;
      return () => {
        log('signals off');
        signalHandler = undefined;
      };
    },
    exit: (code) => exits.push(code),
    print: (line) => lines.push(line),
  };
  return { options, events: requests, exits, lines, rest, dataDir, signal: (name: string) => signalHandler?.(name) };
}

const TUNNEL_UPDATE = `update ${SID} voice=POST https://abc.ngrok.app/twilio/voice app=- status=POST https://abc.ngrok.app/twilio/status`;
const RESTORE_UPDATE = `update ${SID} voice=GET https://old.example.com/voice app=- status=POST -`;

describe('startDevTunnel', () => {
  it('opens the tunnel, starts the server on its URL, saves the number to DATA_DIR, rewires it, and says what to dial', async () => {
    const f = fakes();
    const session = await startDevTunnel(f.options);
    expect(session.publicUrl).toBe('https://abc.ngrok.app');
    expect(f.events).toEqual(['tunnel open 5050 -', 'server start https://abc.ngrok.app', `list ${NUMBER}`, 'record written', TUNNEL_UPDATE]);
    const record = JSON.parse(readFileSync(path.join(f.dataDir, RESTORE_RECORD_FILE), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({
      phoneNumber: NUMBER,
      numberSid: SID,
      pid: 4242,
      previous: { voiceUrl: 'https://old.example.com/voice', voiceMethod: 'GET', voiceApplicationSid: '', statusCallback: '' },
      tunnel: { voiceUrl: 'https://abc.ngrok.app/twilio/voice', voiceApplicationSid: '' },
    });
    expect(f.rest.routeOf(NUMBER)).toBe('POST https://abc.ngrok.app/twilio/voice');
    const output = f.lines.join('\n');
    expect(output).toContain(`saved ${NUMBER}'s settings (GET https://old.example.com/voice) to ${path.join(f.dataDir, RESTORE_RECORD_FILE)}`);
    expect(output).toContain(`Call ${NUMBER}`);
    expect(output).toContain('was GET https://old.example.com/voice');
  });

  it('restores the old settings and deletes the record, then closes the server and the tunnel, once, on stop', async () => {
    const f = fakes();
    const session = await startDevTunnel(f.options);
    f.events.length = 0;
    await Promise.all([session.stop(), session.stop()]);
    await session.stop();
    expect(f.events).toEqual(['signals off', RESTORE_UPDATE, 'record cleared', 'server close', 'tunnel close']);
    expect(f.rest.numbers).toEqual([OLD]);
    expect(existsSync(path.join(f.dataDir, RESTORE_RECORD_FILE))).toBe(false);
    expect(f.lines).toContain(`restored ${NUMBER} to GET https://old.example.com/voice`);
  });

  it('restores everything on Ctrl-C and then exits 0', async () => {
    const f = fakes();
    await startDevTunnel(f.options);
    f.signal('SIGINT');
    await expect.poll(() => f.exits).toEqual([0]);
    expect(f.rest.numbers).toEqual([OLD]);
    expect(f.events.slice(-4)).toEqual([RESTORE_UPDATE, 'record cleared', 'server close', 'tunnel close']);
  });

  it('undoes the tunnel when the server fails to start, and leaves the number and DATA_DIR alone', async () => {
    const f = fakes({ failServer: true });
    await expect(startDevTunnel(f.options)).rejects.toThrow('port in use');
    expect(f.events).toEqual(['tunnel open 5050 -', 'server start https://abc.ngrok.app', 'signals off', 'tunnel close']);
    expect(existsSync(path.join(f.dataDir, RESTORE_RECORD_FILE))).toBe(false);
  });

  it('restores the number when startup fails after the record was written', async () => {
    const f = fakes();
    f.rest.failUpdate = { nth: 1, message: 'Twilio 500' };
    await expect(startDevTunnel(f.options)).rejects.toThrow('Twilio 500');
    expect(f.events.slice(-4)).toEqual([RESTORE_UPDATE, 'record cleared', 'server close', 'tunnel close']);
    expect(f.rest.numbers).toEqual([OLD]);
  });

  it('names the number when the account does not have it', async () => {
    const f = fakes({ number: null });
    await expect(startDevTunnel(f.options)).rejects.toThrow(/TWILIO_PHONE_NUMBER \+15550100123 is not a phone number of account AC0123/);
    expect(f.events.slice(-2)).toEqual(['server close', 'tunnel close']);
  });

  it('keeps the record when restoring fails on stop, says so, and the next start restores the number', async () => {
    const f = fakes();
    f.rest.failUpdate = { nth: 2, message: 'Twilio 503' };
    const session = await startDevTunnel(f.options);
    await session.stop();
    expect(f.events.slice(-2)).toEqual(['server close', 'tunnel close']);
    expect(f.lines.some((l) => l.includes('could not restore the number: Twilio 503'))).toBe(true);
    expect(f.lines).toContain(`${path.join(f.dataDir, RESTORE_RECORD_FILE)} is kept: the next npm run dev, or npm run dev -- --restore, restores ${NUMBER}`);
    expect(f.rest.routeOf(NUMBER)).toBe('POST https://abc.ngrok.app/twilio/voice');

    const next = fakes({ rest: f.rest, dataDir: f.dataDir });
    await startDevTunnel(next.options);
    expect(next.events.slice(0, 3)).toEqual([`list ${NUMBER}`, RESTORE_UPDATE, 'record cleared']);
  });

  it('undoes a step that finishes after a signal arrived during startup', async () => {
    const f = fakes();
    let releaseServer: () => void = () => {};
    const options: DevTunnelOptions = {
      ...f.options,
      startServer: async (url) => {
        f.events.push(`server start ${url}`);
        await new Promise<void>((resolve) => (releaseServer = resolve));
        return { close: async () => void f.events.push('server close') };
      },
    };
    const starting = startDevTunnel(options);
    await expect.poll(() => f.events).toContain('server start https://abc.ngrok.app');
    f.signal('SIGTERM');
    await expect.poll(() => f.exits).toEqual([0]);
    releaseServer();
    await expect(starting).rejects.toBeInstanceOf(DevTunnelStoppedError);
    expect(f.events).toEqual(['tunnel open 5050 -', 'server start https://abc.ngrok.app', 'signals off', 'tunnel close', 'server close']);
    expect(f.events.some((e) => e.startsWith('list'))).toBe(false);
  });
});

describe('after a run that did not clean up (kill -9, crash)', () => {
  /** Starts a run and abandons it without stop(): what kill -9 leaves behind. */
  async function crashedRun(number: FakeNumber = { ...OLD }): Promise<Fakes> {
    const crashed = fakes({ number });
    await startDevTunnel(crashed.options);
    expect(crashed.rest.routeOf(NUMBER)).toBe('POST https://abc.ngrok.app/twilio/voice');
    return crashed;
  }

  it('the next npm run dev restores the number first, says so, and then tunnels as usual', async () => {
    const crashed = await crashedRun();
    const next = fakes({ rest: crashed.rest, dataDir: crashed.dataDir, tunnelUrl: 'https://def.ngrok.app' });
    const session = await startDevTunnel(next.options);
    expect(next.events).toEqual([
      `list ${NUMBER}`,
      RESTORE_UPDATE,
      'record cleared',
      'tunnel open 5050 -',
      'server start https://def.ngrok.app',
      `list ${NUMBER}`,
      'record written',
      `update ${SID} voice=POST https://def.ngrok.app/twilio/voice app=- status=POST https://def.ngrok.app/twilio/status`,
    ]);
    const output = next.lines.join('\n');
    expect(output).toContain(`found ${path.join(crashed.dataDir, RESTORE_RECORD_FILE)}: the run of 2026-11-29T12:00:00.000Z did not restore ${NUMBER}`);
    expect(output).toContain(`restored ${NUMBER} to GET https://old.example.com/voice (it pointed at the dead tunnel https://abc.ngrok.app/twilio/voice)`);
    // The settings saved by this run are the original ones, not the dead tunnel's.
    expect(output).toContain('was GET https://old.example.com/voice');
    await session.stop();
    expect(next.rest.numbers).toEqual([OLD]);
  });

  it('npm run dev -- --restore restores the number and removes the record; a second run finds nothing', async () => {
    const crashed = await crashedRun();
    const restore = fakes({ rest: crashed.rest, dataDir: crashed.dataDir });
    await expect(restorePendingWebhooks(restore.options)).resolves.toBe('restored');
    expect(crashed.rest.numbers).toEqual([OLD]);
    expect(existsSync(path.join(crashed.dataDir, RESTORE_RECORD_FILE))).toBe(false);
    await expect(restorePendingWebhooks(restore.options)).resolves.toBe('none');
    expect(restore.events).toEqual([`list ${NUMBER}`, RESTORE_UPDATE, 'record cleared']);
  });

  it('leaves a number that was changed since alone, and says so', async () => {
    const crashed = await crashedRun();
    const number = crashed.rest.numbers[0]!;
    number.voiceUrl = 'https://changed-by-hand.example.com/voice';
    const next = fakes({ rest: crashed.rest, dataDir: crashed.dataDir });
    await expect(restorePendingWebhooks(next.options)).resolves.toBe('left-alone');
    expect(next.events).toEqual([`list ${NUMBER}`, 'record cleared']);
    expect(crashed.rest.routeOf(NUMBER)).toBe('POST https://changed-by-hand.example.com/voice');
    expect(next.lines.join('\n')).toContain(`${NUMBER} left as it is (POST https://changed-by-hand.example.com/voice): it was changed since`);
  });

  it('refuses to touch the number while the run that wrote the record is still alive', async () => {
    const crashed = await crashedRun();
    const next = fakes({ rest: crashed.rest, dataDir: crashed.dataDir, running: [4242] });
    const options = { ...next.options, pid: 5000 };
    await expect(startDevTunnel(options)).rejects.toThrow(/belongs to npm run dev \(pid 4242\), which is still running with \+15550100123: stop it first/);
    expect(next.events).toEqual(['signals off']);
    expect(existsSync(path.join(crashed.dataDir, RESTORE_RECORD_FILE))).toBe(true);
  });

  it('refuses a record of another account, keeping it', async () => {
    const crashed = await crashedRun();
    const next = fakes({ rest: crashed.rest, dataDir: crashed.dataDir });
    const options = { ...next.options, config: { ...next.options.config, twilioAccountSid: 'ACffffffffffffffffffffffffffffffff' } };
    await expect(restorePendingWebhooks(options)).rejects.toThrow(/restores \+15550100123 on account AC0123456789abcdef0123456789abcdef, but TWILIO_ACCOUNT_SID is ACffff/);
    expect(existsSync(path.join(crashed.dataDir, RESTORE_RECORD_FILE))).toBe(true);
  });

  it('names a corrupt record file instead of guessing', async () => {
    const f = fakes();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(f.dataDir, RESTORE_RECORD_FILE), '{"version":1,');
    await expect(restorePendingWebhooks(f.options)).rejects.toThrow(`${path.join(f.dataDir, RESTORE_RECORD_FILE)} is not valid JSON`);
  });
});

describe('each way a number can be configured', () => {
  const CONFIGURATIONS: [string, FakeNumber][] = [
    ['a POST voice webhook', fakeNumber({ voiceUrl: 'https://old.example.com/voice', voiceMethod: 'POST' })],
    [
      'a GET voice webhook and a GET status callback',
      fakeNumber({ voiceUrl: 'https://old.example.com/voice', voiceMethod: 'GET', statusCallback: 'https://old.example.com/status', statusCallbackMethod: 'GET' }),
    ],
    [
      'a TwiML App (voiceApplicationSid), which overrides voiceUrl',
      fakeNumber({ voiceApplicationSid: 'AP0123456789abcdef0123456789abcdef', voiceUrl: 'https://ignored.example.com/voice', statusCallback: 'https://old.example.com/status' }),
    ],
    ['nothing configured', fakeNumber()],
  ];

  it.each(CONFIGURATIONS)('%s: rings the tunnel while it runs, and is put back exactly on stop', async (_name, original) => {
    const f = fakes({ number: { ...original } });
    const session = await startDevTunnel(f.options);
    expect(f.rest.routeOf(NUMBER)).toBe('POST https://abc.ngrok.app/twilio/voice');
    expect(f.rest.numbers[0]).toMatchObject({ voiceApplicationSid: null, statusCallback: 'https://abc.ngrok.app/twilio/status', statusCallbackMethod: 'POST' });
    await session.stop();
    expect(f.rest.numbers).toEqual([original]);
  });

  it.each(CONFIGURATIONS)('%s: is put back exactly by the next start after a crash', async (_name, original) => {
    const crashed = fakes({ number: { ...original } });
    await startDevTunnel(crashed.options);
    expect(crashed.rest.routeOf(NUMBER)).toBe('POST https://abc.ngrok.app/twilio/voice');
    const next = fakes({ rest: crashed.rest, dataDir: crashed.dataDir });
    await expect(restorePendingWebhooks(next.options)).resolves.toBe('restored');
    expect(crashed.rest.numbers).toEqual([original]);
  });
});
