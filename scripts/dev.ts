/**
 * `npm run dev`: the bot on a real phone number through an ngrok tunnel. Needs NGROK_AUTHTOKEN, TWILIO_ACCOUNT_SID,
 * TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER and OPENAI_API_KEY (environment or .env); NGROK_DOMAIN pins a reserved
 * domain. The number's previous webhook is restored on exit, Ctrl-C included.
 */
import { loadConfig } from '../src/config.js';
import { loadOrExit } from '../src/load-or-exit.js';
import { createLogger } from '../src/logger.js';
import { createVoiceBot } from '../src/server.js';
import { devServerEnv, loadDevTunnelConfig, readDevEnvironment } from '../src/dev-tunnel/dev-tunnel-config.js';
import { twilioPhoneNumberWebhooks } from '../src/dev-tunnel/phone-number-webhooks.js';
import { DevTunnelStoppedError, startDevTunnel, type DevServer, type OnSignal } from '../src/dev-tunnel/run-dev-tunnel.js';
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

async function main(): Promise<void> {
  const env = readDevEnvironment();
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
    phoneNumbers: twilioPhoneNumberWebhooks(devConfig.twilioAccountSid, devConfig.twilioAuthToken),
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
