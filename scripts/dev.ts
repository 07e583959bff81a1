/**
 * `npm run dev`: the bot on a real phone number through an ngrok tunnel. Needs NGROK_AUTHTOKEN, TWILIO_ACCOUNT_SID,
 * TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER and OPENAI_API_KEY (environment or .env); NGROK_DOMAIN pins a reserved
 * domain. The number's previous settings are saved under DATA_DIR before it is changed and restored on exit, Ctrl-C
 * included; after a crash, the next `npm run dev` restores them first.
 *
 *   npm run dev                 start (restoring what a crashed run left behind)
 *   npm run dev -- --restore    only restore what a crashed run left behind, then exit
 */
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { loadConfig } from '../src/config.js';
import { loadOrExit } from '../src/load-or-exit.js';
import { createLogger } from '../src/logger.js';
import { createVoiceBot } from '../src/server.js';
import { devServerEnv, loadDevRestoreConfig, loadDevTunnelConfig, readDevEnvironment } from '../src/dev-tunnel/dev-tunnel-config.js';
import { twilioPhoneNumberWebhooks } from '../src/dev-tunnel/phone-number-webhooks.js';
import { fileRestoreRecordStore } from '../src/dev-tunnel/restore-record.js';
import {
  DevTunnelStoppedError,
  restorePendingWebhooks,
  startDevTunnel,
  type DevServer,
  type OnSignal,
} from '../src/dev-tunnel/run-dev-tunnel.js';
import { ngrokTunnelOpener } from '../src/dev-tunnel/tunnel.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const onProcessSignal: OnSignal = (handler) => {
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
};

/** True while a process with this id exists (EPERM: it exists but belongs to another user). */
function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { restore: { type: 'boolean', default: false } } });
  const env = readDevEnvironment();
  if (values.restore) {
    const config = loadOrExit(() => loadDevRestoreConfig(env));
    const restoreRecords = fileRestoreRecordStore(config.dataDir);
    const outcome = await restorePendingWebhooks({
      config,
      phoneNumbers: twilioPhoneNumberWebhooks(twilio(config.twilioAccountSid, config.twilioAuthToken)),
      restoreRecords,
      isProcessRunning,
      pid: process.pid,
      print,
    });
    if (outcome === 'none') print(`nothing to restore: no ${restoreRecords.location} (the last npm run dev cleaned up)`);
    return;
  }
  const devConfig = loadOrExit(() => loadDevTunnelConfig(env));
  const startServer = async (publicBaseUrl: string): Promise<DevServer> => {
    // The server listens on loopback only: the tunnel is its public door.
    const config = loadConfig({ ...devServerEnv(publicBaseUrl, env), HOST: '127.0.0.1', PORT: String(devConfig.port) });
    const logger = createLogger(config.logLevel);
    const bot = await createVoiceBot(config, { logger });
    await bot.app.listen({ host: config.host, port: config.port });
    return bot;
  };
  await startDevTunnel({
    config: devConfig,
    startServer,
    openTunnel: ngrokTunnelOpener(devConfig.ngrokAuthtoken),
    phoneNumbers: twilioPhoneNumberWebhooks(twilio(devConfig.twilioAccountSid, devConfig.twilioAuthToken)),
    restoreRecords: fileRestoreRecordStore(devConfig.dataDir),
    isProcessRunning,
    pid: process.pid,
    onSignal: onProcessSignal,
    exit: (code) => process.exit(code),
    print,
  });
}

main().catch((error: unknown) => {
  // A signal during startup: its handler has undone everything and exits on its own.
  if (error instanceof DevTunnelStoppedError) return;
  process.stderr.write(`npm run dev failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
