/**
 * The server's entry point (`npm start`): load the configuration, build the app, listen, and close gracefully on
 * SIGINT/SIGTERM (open media sockets are closed, so Twilio runs each call's `<Connect action>` fallback).
 */
import { loadConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { buildApp } from './http/app.js';
import { createCallRecorderFromConfig } from './fixtures/call-recorder.js';
import { recordingMediaSocket } from './fixtures/recording-media-socket.js';
import { createLogger, type Logger } from './logger.js';
import type { MediaSocket } from './telephony/media-socket.js';
import { createClosingCallHandler } from './telephony/closing-call-handler.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** With `RECORD_CALLS` set, every authenticated media socket is recorded as a fixture. */
function recordCalls(config: Config): (socket: MediaSocket, logger: Logger) => MediaSocket {
  return (socket, logger) => {
    const recorder = createCallRecorderFromConfig(config, { logger });
    return recorder ? recordingMediaSocket(socket, recorder, logger) : socket;
  };
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  // The call wiring plugs in here: replace this handler with the call manager (`createCallManager(...)`).
  const callHandler = createClosingCallHandler(logger);
  const app = await buildApp({
    config,
    logger,
    callHandler,
    ...(config.recordCallsDir === undefined ? {} : { decorateMediaSocket: recordCalls(config) }),
  });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  await app.listen({ host: config.host, port: config.port });
  logger.info({ publicBaseUrl: config.publicBaseUrl, voiceWebhook: `${config.publicBaseUrl}/twilio/voice` }, 'server ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`Server failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
