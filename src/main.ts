import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, describeConfig, loadConfig } from './infrastructure/config/config';
import { createLogger } from './infrastructure/logging/logger';

async function main(): Promise<void> {
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
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'Parley could not start');
    process.exit(1);
  }
}

void main();
