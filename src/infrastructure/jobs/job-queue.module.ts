import { Module, type DynamicModule } from '@nestjs/common';
import type { Clock } from '../../application/ports/clock.port';
import { JOB_QUEUE } from '../../application/ports/job-queue.port';
import type { AppLogger } from '../../application/ports/logger.port';
import type { QueueConfig } from '../config/config';
import { databaseFile } from '../sqlite/open-database';
import { openEmbeddedJobQueue } from './embedded-job-queue';

/** The embedded durable queue in the data folder's SQLite file (QUEUE=embedded, the default). */
@Module({})
class EmbeddedJobQueueModule {
  static forRoot(dataDir: string, clock: Clock, logger: AppLogger): DynamicModule {
    return {
      module: EmbeddedJobQueueModule,
      providers: [{ provide: JOB_QUEUE, useFactory: () => openEmbeddedJobQueue(databaseFile(dataDir), { clock, logger }) }],
      exports: [JOB_QUEUE],
    };
  }
}

/**
 * JOB_QUEUE as QUEUE selects it. Bull's module is required only when QUEUE=bull: bull, ioredis and
 * @nestjs/bull are modules and heap the embedded queue never uses.
 */
export function jobQueueModule(queue: QueueConfig, options: { dataDir: string; clock: Clock; logger: AppLogger }): DynamicModule {
  const logger = options.logger;
  if (queue.engine !== 'bull') return EmbeddedJobQueueModule.forRoot(options.dataDir, options.clock, logger);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BullQueueModule } = require('./bull-queue.module') as typeof import('./bull-queue.module');
  return BullQueueModule.forRoot({ redisUrl: queue.redisUrl, clock: options.clock, logger });
}
