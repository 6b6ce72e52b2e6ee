import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, describeConfig, loadConfig } from './infrastructure/config/config';
import { createLogger } from './infrastructure/logging/logger';
import { PRIVATE_UMASK } from './infrastructure/storage/private-files';

async function main(): Promise<void> {
  // Everything Parley writes (database, original emails, the signing key) is for its own user only.
  process.umask(PRIVATE_UMASK);
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  try {
    const app = await createApp(config, logger);
    await app.listen({ port: config.port, host: config.host });
    logger.info({ url: `http://${config.host}:${config.port}`, config: describeConfig(config) }, 'Parley is listening');
    stopGracefullyOn(['SIGTERM', 'SIGINT'], () => app.close(), logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'Parley could not start');
    process.exit(1);
  }
}

/**
 * Graceful shutdown: stop taking requests, let in-flight ones finish, stop background work and
 * projections at a checkpoint, close the database; exit 0. A second signal, or a shutdown that
 * takes longer than SHUTDOWN_DEADLINE_MS, exits at once with 1 (nothing acknowledged is lost
 * either way: every acknowledged event is already durable).
 */
const SHUTDOWN_DEADLINE_MS = 15_000;

function stopGracefullyOn(signals: NodeJS.Signals[], close: () => Promise<void>, logger: ReturnType<typeof createLogger>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, stop);
}

void main();
