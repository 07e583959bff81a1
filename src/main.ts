/**
 * The server's entry point (`npm start` runs it compiled, as `dist/main.js`): load the configuration (the environment,
 * then `.env`), assemble the bot, listen, and close gracefully on SIGINT/SIGTERM (every live call's media socket is
 * closed, so Twilio runs its `<Connect action>` fallback).
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
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    bot.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

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
