/**
 * The server's entry point (`npm start` runs it compiled, as `dist/main.js`): load the configuration (the environment,
 * then `.env`), assemble the bot, listen, and drain on SIGINT/SIGTERM (`src/deploy/drain.ts`: not ready at once,
 * live calls served until they end or `DRAIN_TIMEOUT_S`), then flush the log and exit 0.
 *
 * The handlers are registered with `process.on`, never `once`: the Agents SDK's tracing provider also listens to
 * SIGTERM/SIGINT and calls `process.exit` when it finds no other listener, so a second signal during a drain must
 * still find ours (and is only logged).
 */
import { loadConfig, readEnvironment } from './config.js';
import { loadOrExit } from './load-or-exit.js';
import { createLogger } from './logger.js';
import { createVoiceBot } from './server.js';

async function main(): Promise<void> {
  const config = loadOrExit(() => loadConfig(readEnvironment()));
  const logger = createLogger(config.logLevel);
  const bot = await createVoiceBot(config, { logger });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.info({ signal }, 'already draining; live calls go on');
      return;
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    // Exit only once pino has written every line (the calls' "call ended" lines included).
    const exit = (code: number): void => logger.flush(() => process.exit(code));
    bot.drain().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await bot.app.listen({ host: config.host, port: config.port });
  logger.info(
    { publicBaseUrl: config.publicBaseUrl, voiceWebhook: `${config.publicBaseUrl}/twilio/voice`, store: bot.store.kind, classifier: config.classifier },
    'server ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
