/**
 * `npm run dev` as a testable function: open the tunnel, start the server with the tunnel's URL as its public base,
 * point the Twilio number's webhooks at it (remembering the old ones), print what to dial, and undo all of it on
 * stop, Ctrl-C or SIGTERM. Every step that succeeded registers its undo; stopping runs them newest first, exactly
 * once, even while startup is still running, so a number is never left pointing at a dead tunnel.
 */
import type { DevTunnelConfig } from './dev-tunnel-config.js';
import type { PhoneNumberWebhooks, WebhookSettings } from './phone-number-webhooks.js';
import type { OpenTunnel } from './tunnel.js';

/** Voice webhook path on the server. */
export const DEV_VOICE_PATH = '/twilio/voice';
/** Call status callback path on the server. */
export const DEV_STATUS_PATH = '/twilio/status';

/** Startup was cut short by a signal; the undo already ran and the signal handler exits the process. */
export class DevTunnelStoppedError extends Error {
  constructor() {
    super('stopped during startup');
    this.name = 'DevTunnelStoppedError';
  }
}

/** The running server, as far as the dev tunnel cares. */
export interface DevServer {
  close(): Promise<void>;
}

/** Process signals (SIGINT, SIGTERM); returns the function that stops listening. */
export type OnSignal = (handler: (signal: string) => void) => () => void;

/** Everything `startDevTunnel` touches, injected. */
export interface DevTunnelOptions {
  readonly config: DevTunnelConfig;
  /** Starts the server configured with this public https origin and listening on `config.port`. */
  readonly startServer: (publicBaseUrl: string) => Promise<DevServer>;
  readonly openTunnel: OpenTunnel;
  readonly phoneNumbers: PhoneNumberWebhooks;
  readonly onSignal: OnSignal;
  /** Called after a signal-triggered stop finished; production exits the process with the code. */
  readonly exit: (code: number) => void;
  /** Where the human-readable lines go (the terminal). */
  readonly print: (line: string) => void;
}

/** A running dev session. */
export interface DevTunnelSession {
  readonly publicUrl: string;
  /** Restores the webhook, closes the server and the tunnel; idempotent, resolves when all is undone. */
  stop(): Promise<void>;
}

/** Starts the dev session; on any failure undoes what was done and rethrows. */
export async function startDevTunnel(options: DevTunnelOptions): Promise<DevTunnelSession> {
  const { config, print } = options;
  const undo: { what: string; run: () => Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;

  const runUndo = async (step: { what: string; run: () => Promise<void> }): Promise<void> => {
    try {
      await step.run();
    } catch (error) {
      // Keep undoing the rest: a failed restore must not leave the tunnel and server running.
      print(`could not ${step.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      unsubscribe();
      while (undo.length > 0) await runUndo(undo.pop()!);
    })();
    return stopping;
  };
  /** Registers an undo; if stopping already began, runs it right away instead. */
  const done = async (what: string, run: () => Promise<void>): Promise<void> => {
    if (stopping === undefined) undo.push({ what, run });
    else await runUndo({ what, run });
  };
  const unsubscribe = options.onSignal((signal) => {
    print(`${signal}: restoring the number's webhook and shutting down`);
    stop().then(
      () => options.exit(0),
      () => options.exit(1),
    );
  });

  try {
    const tunnel = await options.openTunnel({ port: config.port, domain: config.ngrokDomain });
    await done('close the tunnel', () => tunnel.close());
    print(`tunnel ${tunnel.url} -> http://127.0.0.1:${config.port}`);
    if (stopping !== undefined) throw new DevTunnelStoppedError();

    const server = await options.startServer(tunnel.url);
    await done('stop the server', () => server.close());
    if (stopping !== undefined) throw new DevTunnelStoppedError();

    const number = await options.phoneNumbers.find(config.twilioPhoneNumber);
    if (number === undefined) {
      throw new Error(`TWILIO_PHONE_NUMBER ${config.twilioPhoneNumber} is not a phone number of account ${config.twilioAccountSid}`);
    }
    const previous: WebhookSettings = {
      voiceUrl: number.voiceUrl,
      voiceMethod: number.voiceMethod,
      statusCallback: number.statusCallback,
      statusCallbackMethod: number.statusCallbackMethod,
    };
    const next: WebhookSettings = {
      voiceUrl: `${tunnel.url}${DEV_VOICE_PATH}`,
      voiceMethod: 'POST',
      statusCallback: `${tunnel.url}${DEV_STATUS_PATH}`,
      statusCallbackMethod: 'POST',
    };
    // Registered before the update: if the request fails halfway, restoring the old values is still right.
    await done('restore the voice webhook', async () => {
      await options.phoneNumbers.update(number.sid, previous);
      print(`restored ${number.phoneNumber} voice webhook to ${previous.voiceUrl || '(none)'}`);
    });
    await options.phoneNumbers.update(number.sid, next);
    if (stopping !== undefined) throw new DevTunnelStoppedError();

    print(`${number.phoneNumber} now rings ${next.voiceUrl} (was ${previous.voiceUrl || '(none)'})`);
    print(`Call ${number.phoneNumber} from any phone to talk to the bot. Ctrl-C stops and restores the old webhook.`);
    return { publicUrl: tunnel.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
