import { Injectable } from '@nestjs/common';
import { PurgeExpiredTrash } from '../process-managers/purge-expired-trash';
import type { JobRegistration } from './job-registration';

export const SWEEP_TRASH_JOB = 'trash.sweep';
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * The safety net behind the per-conversation purge jobs (a job lost with a Redis that was
 * flushed, conversations trashed before the jobs existed): every ten minutes, purge whatever
 * the read model says is overdue.
 */
@Injectable()
export class SweepTrashJob implements JobRegistration {
  readonly type = SWEEP_TRASH_JOB;
  readonly repeat = { everyMs: SWEEP_EVERY_MS, jobId: SWEEP_TRASH_JOB };

  constructor(private readonly purge: PurgeExpiredTrash) {}

  async handle(): Promise<void> {
    await this.purge.sweep();
  }
}
