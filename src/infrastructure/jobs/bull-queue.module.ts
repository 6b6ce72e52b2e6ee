import { Module, type DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { JOB_QUEUE } from '../../application/ports/job-queue.port';
import { BULL_JOB_QUEUE_OPTIONS, BULL_JOBS_QUEUE, BullJobQueue, bullQueueOptions, type BullJobQueueOptions } from './bull-job-queue';

/**
 * QUEUE=bull: @nestjs/bull's root connection (REDIS_URL) and the "jobs" queue, with JOB_QUEUE
 * bound to the BullJobQueue over it. Binding waits until Redis answers, bounded by
 * connectTimeoutMs, so an unreachable Redis fails the start with an error naming REDIS_URL.
 */
@Module({})
export class BullQueueModule {
  static forRoot(options: BullJobQueueOptions & { prefix?: string }): DynamicModule {
    const { prefix, ...adapterOptions } = options;
    return {
      module: BullQueueModule,
      imports: [BullModule.forRoot(bullQueueOptions(options.redisUrl, prefix)), BullModule.registerQueue({ name: BULL_JOBS_QUEUE })],
      providers: [
        { provide: BULL_JOB_QUEUE_OPTIONS, useValue: adapterOptions },
        BullJobQueue,
        {
          provide: JOB_QUEUE,
          inject: [BullJobQueue],
          useFactory: async (queue: BullJobQueue) => {
            await queue.ready();
            return queue;
          },
        },
      ],
      exports: [JOB_QUEUE],
    };
  }
}
