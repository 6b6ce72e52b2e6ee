import type { JobContext, JobData, JobQueue, RegisterOptions } from '../ports/job-queue.port';

/**
 * A job type the application handles: registered with the queue at start-up (Lifecycle), and,
 * with `repeat`, scheduled on every start (idempotent: one schedule per jobId).
 * Handlers run at least once per job: they must be idempotent.
 */
export interface JobRegistration {
  readonly type: string;
  readonly options?: RegisterOptions;
  readonly repeat?: { everyMs: number; jobId: string };
  handle(data: JobData, job: JobContext): Promise<void>;
}

/** Registers every handler, then schedules the repeatable ones. Call before queue.start(). */
export async function registerJobs(queue: JobQueue, registrations: readonly JobRegistration[]): Promise<void> {
  for (const registration of registrations) {
    queue.register(registration.type, (data, job) => registration.handle(data, job), registration.options);
  }
  for (const { type, repeat } of registrations) {
    if (repeat) await queue.repeat(type, {}, repeat);
  }
}
