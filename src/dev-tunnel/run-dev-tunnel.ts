/**
 * `npm run dev` as a testable function: open the tunnel, start the server with the tunnel's URL as its public base,
 * point the Twilio number at it (clearing a TwiML App that would override the webhook), print what to dial, and undo
 * all of it on stop, Ctrl-C or SIGTERM. Every step that succeeded registers its undo; stopping runs them newest first,
 * exactly once, even while startup is still running, so a number is never left pointing at a dead tunnel.
 *
 * The number's previous settings are also written to a restore record under DATA_DIR before the number is changed.
 * A run killed without cleaning up (kill -9, a crash, a closed laptop) leaves the record behind; the next start, or
 * `npm run dev -- --restore`, restores the number from it first.
 */
import type { DevRestoreConfig, DevTunnelConfig } from './dev-tunnel-config.js';
import type { PhoneNumberWebhooks, WebhookSettings } from './phone-number-webhooks.js';
import type { RestoreRecordStore } from './restore-record.js';
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

/** What restoring a left-over record touches, injected. */
export interface RestorePendingOptions {
  readonly config: DevRestoreConfig;
  readonly phoneNumbers: PhoneNumberWebhooks;
  readonly restoreRecords: RestoreRecordStore;
  /** True while a process with this id runs (production: `process.kill(pid, 0)`). */
  readonly isProcessRunning: (pid: number) => boolean;
  /** This process's id, written into the record. */
  readonly pid: number;
  readonly print: (line: string) => void;
}

/** Everything `startDevTunnel` touches, injected. */
export interface DevTunnelOptions extends RestorePendingOptions {
  readonly config: DevTunnelConfig;
  /** Starts the server configured with this public https origin and listening on `config.port`. */
  readonly startServer: (publicBaseUrl: string) => Promise<DevServer>;
  readonly openTunnel: OpenTunnel;
  readonly phoneNumbers: PhoneNumberWebhooks;
  readonly onSignal: OnSignal;
  /** Called after a signal-triggered stop finished; production exits the process with the code. */
  readonly exit: (code: number) => void;
  /** Clock for the record's `savedAt`. */
  readonly now?: () => Date;
}

/** A running dev session. */
export interface DevTunnelSession {
  readonly publicUrl: string;
  /** Restores the webhook, closes the server and the tunnel; idempotent, resolves when all is undone. */
  stop(): Promise<void>;
}

/** How a number's routing reads in the terminal. */
export function describeRouting(settings: WebhookSettings): string {
  if (settings.voiceApplicationSid) return `TwiML App ${settings.voiceApplicationSid}`;
  return settings.voiceUrl ? `${settings.voiceMethod} ${settings.voiceUrl}` : '(no voice webhook)';
}

function sameSettings(a: WebhookSettings, b: WebhookSettings): boolean {
  return (
    a.voiceUrl === b.voiceUrl &&
    a.voiceMethod === b.voiceMethod &&
    a.voiceApplicationSid === b.voiceApplicationSid &&
    a.statusCallback === b.statusCallback &&
    a.statusCallbackMethod === b.statusCallbackMethod
  );
}

function settingsOf(settings: WebhookSettings): WebhookSettings {
  const { voiceUrl, voiceMethod, voiceApplicationSid, statusCallback, statusCallbackMethod } = settings;
  return { voiceUrl, voiceMethod, voiceApplicationSid, statusCallback, statusCallbackMethod };
}

/** What `restorePendingWebhooks` did. */
export type PendingRestoreOutcome =
  /** No record: the last run cleaned up. */
  | 'none'
  /** The number was pointed back at its previous settings. */
  | 'restored'
  /** The number no longer had the tunnel's settings (changed by hand, or never changed): left as it is. */
  | 'left-alone';

/**
 * Restores the number recorded by a run that did not clean up, if there is a record. The number is only written
 * when it still has the settings that run gave it, so a change made since (in the console) is never overwritten.
 * Throws, keeping the record, when the record's run is still alive or belongs to another account, or when Twilio
 * refuses the update.
 */
export async function restorePendingWebhooks(options: RestorePendingOptions): Promise<PendingRestoreOutcome> {
  const { phoneNumbers, restoreRecords, print } = options;
  const record = await restoreRecords.read();
  if (record === undefined) return 'none';
  const where = restoreRecords.location;
  if (record.pid !== options.pid && options.isProcessRunning(record.pid)) {
    throw new Error(
      `${where} belongs to npm run dev (pid ${record.pid}), which is still running with ${record.phoneNumber}: stop it first ` +
        `(its Ctrl-C restores the number). If pid ${record.pid} is some other program, check the number in the Twilio console and delete ${where}.`,
    );
  }
  if (record.accountSid !== options.config.twilioAccountSid) {
    throw new Error(
      `${where} restores ${record.phoneNumber} on account ${record.accountSid}, but TWILIO_ACCOUNT_SID is ${options.config.twilioAccountSid}: ` +
        'run npm run dev -- --restore with that account\'s credentials, or restore the number by hand and delete the file.',
    );
  }
  print(`found ${where}: the run of ${record.savedAt} did not restore ${record.phoneNumber}`);
  const current = await phoneNumbers.find(record.phoneNumber);
  if (current === undefined) {
    print(`${record.phoneNumber} is no longer a number of account ${record.accountSid}; nothing to restore`);
    await restoreRecords.clear();
    return 'left-alone';
  }
  if (!sameSettings(settingsOf(current), record.tunnel)) {
    const why = sameSettings(settingsOf(current), record.previous) ? 'it already has its previous settings' : 'it was changed since';
    print(`${record.phoneNumber} left as it is (${describeRouting(current)}): ${why}`);
    await restoreRecords.clear();
    return 'left-alone';
  }
  await phoneNumbers.update(record.numberSid, record.previous);
  await restoreRecords.clear();
  print(`restored ${record.phoneNumber} to ${describeRouting(record.previous)} (it pointed at the dead tunnel ${record.tunnel.voiceUrl})`);
  return 'restored';
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
    print(`${signal}: restoring the number and shutting down`);
    stop().then(
      () => options.exit(0),
      () => options.exit(1),
    );
  });

  try {
    // A run that died without cleaning up left the number on its dead tunnel: put it back before anything else.
    await restorePendingWebhooks(options);
    if (stopping !== undefined) throw new DevTunnelStoppedError();

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
    const previous = settingsOf(number);
    const next: WebhookSettings = {
      voiceUrl: `${tunnel.url}${DEV_VOICE_PATH}`,
      voiceMethod: 'POST',
      // A TwiML App overrides voiceUrl: cleared while tunnelling, restored after.
      voiceApplicationSid: '',
      statusCallback: `${tunnel.url}${DEV_STATUS_PATH}`,
      statusCallbackMethod: 'POST',
    };
    const { restoreRecords } = options;
    // Written before the number changes, so a crash at any later instant still knows what to restore.
    await restoreRecords.write({
      version: 1,
      accountSid: config.twilioAccountSid,
      numberSid: number.sid,
      phoneNumber: number.phoneNumber,
      previous,
      tunnel: next,
      pid: options.pid,
      savedAt: (options.now?.() ?? new Date()).toISOString(),
    });
    print(`saved ${number.phoneNumber}'s settings (${describeRouting(previous)}) to ${restoreRecords.location}`);
    // Registered before the update: if the request fails halfway, restoring the old values is still right.
    await done('restore the number', async () => {
      try {
        await options.phoneNumbers.update(number.sid, previous);
      } catch (error) {
        print(`${restoreRecords.location} is kept: the next npm run dev, or npm run dev -- --restore, restores ${number.phoneNumber}`);
        throw error;
      }
      await restoreRecords.clear();
      print(`restored ${number.phoneNumber} to ${describeRouting(previous)}`);
    });
    await options.phoneNumbers.update(number.sid, next);
    if (stopping !== undefined) throw new DevTunnelStoppedError();

    print(`${number.phoneNumber} now rings ${next.voiceUrl} (was ${describeRouting(previous)})`);
    print(`Call ${number.phoneNumber} from any phone to talk to the bot. Ctrl-C stops and restores the number.`);
    return { publicUrl: tunnel.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
