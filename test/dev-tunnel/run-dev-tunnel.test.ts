import { describe, expect, it } from 'vitest';
import type { DevTunnelConfig } from '../../src/dev-tunnel/dev-tunnel-config.js';
import type { PhoneNumberRecord, PhoneNumberWebhooks, WebhookSettings } from '../../src/dev-tunnel/phone-number-webhooks.js';
import { DevTunnelStoppedError, startDevTunnel, type DevTunnelOptions } from '../../src/dev-tunnel/run-dev-tunnel.js';
import type { OpenTunnel } from '../../src/dev-tunnel/tunnel.js';

const CONFIG: DevTunnelConfig = {
  ngrokAuthtoken: 'ngrok-token',
  ngrokDomain: undefined,
  twilioAccountSid: 'AC0123456789abcdef0123456789abcdef',
  twilioAuthToken: 'twilio-token',
  twilioPhoneNumber: '+15550100123',
  port: 5050,
};

const OLD: WebhookSettings = {
  voiceUrl: 'https://old.example.com/voice',
  voiceMethod: 'GET',
  statusCallback: '',
  statusCallbackMethod: 'POST',
};

/** Records every external call in order, so tests read the whole story as a list. */
function fakes(overrides: { failServer?: boolean; failUpdate?: 'first' | 'restore'; noNumber?: boolean } = {}) {
  const events: string[] = [];
  let signalHandler: ((signal: string) => void) | undefined;
  const exits: number[] = [];
  const lines: string[] = [];
  let current: WebhookSettings = OLD;
  let updates = 0;
  const phoneNumbers: PhoneNumberWebhooks = {
    async find(phoneNumber) {
      events.push(`find ${phoneNumber}`);
      if (overrides.noNumber) return undefined;
      const record: PhoneNumberRecord = { sid: 'PN1', phoneNumber, ...current };
      return record;
    },
    async update(sid, settings) {
      updates += 1;
      events.push(`update ${sid} ${settings.voiceMethod} ${settings.voiceUrl} ${settings.statusCallback}`);
      if (overrides.failUpdate === 'first' && updates === 1) throw new Error('Twilio 500');
      if (overrides.failUpdate === 'restore' && updates === 2) throw new Error('Twilio 503');
      current = settings;
    },
  };
  const openTunnel: OpenTunnel = async ({ port, domain }) => {
    events.push(`tunnel open ${port} ${domain ?? '-'}`);
    return { url: 'https://abc.ngrok.app', close: async () => void events.push('tunnel close') };
  };
  const options: DevTunnelOptions = {
    config: CONFIG,
    startServer: async (url) => {
      events.push(`server start ${url}`);
      if (overrides.failServer) throw new Error('port in use');
      return { close: async () => void events.push('server close') };
    },
    openTunnel,
    phoneNumbers,
    onSignal: (handler) => {
      signalHandler = handler;
      return () => {
        events.push('signals off');
        signalHandler = undefined;
      };
    },
    exit: (code) => exits.push(code),
    print: (line) => lines.push(line),
  };
  return { options, events, exits, lines, current: () => current, signal: (name: string) => signalHandler?.(name) };
}

describe('startDevTunnel', () => {
  it('opens the tunnel, starts the server on its URL, rewires the number, and says what to dial', async () => {
    const f = fakes();
    const session = await startDevTunnel(f.options);
    expect(session.publicUrl).toBe('https://abc.ngrok.app');
    expect(f.events).toEqual([
      'tunnel open 5050 -',
      'server start https://abc.ngrok.app',
      'find +15550100123',
      'update PN1 POST https://abc.ngrok.app/twilio/voice https://abc.ngrok.app/twilio/status',
    ]);
    expect(f.lines.join('\n')).toContain('Call +15550100123');
    expect(f.lines.join('\n')).toContain('was https://old.example.com/voice');
  });

  it('restores the old webhook, then closes the server and the tunnel, once, on stop', async () => {
    const f = fakes();
    const session = await startDevTunnel(f.options);
    f.events.length = 0;
    await Promise.all([session.stop(), session.stop()]);
    await session.stop();
    expect(f.events).toEqual([
      'signals off',
      'update PN1 GET https://old.example.com/voice ',
      'server close',
      'tunnel close',
    ]);
    expect(f.current()).toEqual(OLD);
  });

  it('restores everything on Ctrl-C and then exits 0', async () => {
    const f = fakes();
    await startDevTunnel(f.options);
    f.signal('SIGINT');
    await expect.poll(() => f.exits).toEqual([0]);
    expect(f.current()).toEqual(OLD);
    expect(f.events.slice(-3)).toEqual(['update PN1 GET https://old.example.com/voice ', 'server close', 'tunnel close']);
  });

  it('undoes the tunnel when the server fails to start, and leaves the number alone', async () => {
    const f = fakes({ failServer: true });
    await expect(startDevTunnel(f.options)).rejects.toThrow('port in use');
    expect(f.events).toEqual(['tunnel open 5050 -', 'server start https://abc.ngrok.app', 'signals off', 'tunnel close']);
  });

  it('restores the webhook when startup fails after changing it', async () => {
    const f = fakes({ failUpdate: 'first' });
    await expect(startDevTunnel(f.options)).rejects.toThrow('Twilio 500');
    expect(f.events.slice(-3)).toEqual(['update PN1 GET https://old.example.com/voice ', 'server close', 'tunnel close']);
    expect(f.current()).toEqual(OLD);
  });

  it('names the number when the account does not have it', async () => {
    const f = fakes({ noNumber: true });
    await expect(startDevTunnel(f.options)).rejects.toThrow(/TWILIO_PHONE_NUMBER \+15550100123 is not a phone number of account AC0123/);
    expect(f.events.slice(-2)).toEqual(['server close', 'tunnel close']);
  });

  it('keeps shutting down when restoring the webhook fails, and says so', async () => {
    const f = fakes({ failUpdate: 'restore' });
    const session = await startDevTunnel(f.options);
    await session.stop();
    expect(f.events.slice(-2)).toEqual(['server close', 'tunnel close']);
    expect(f.lines.some((l) => l.includes('could not restore the voice webhook: Twilio 503'))).toBe(true);
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
    expect(f.events.some((e) => e.startsWith('find'))).toBe(false);
  });
});
