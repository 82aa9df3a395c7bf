import type { Job } from 'bullmq';
import { describeZodError } from '@chat/contract';
import type { Logger } from '@chat/runtime';
import type { z } from 'zod';
import { InvalidJobDataError } from './invalid-job-data.error.js';

/**
 * Job data is parsed at the edge like any other input: data that does not match
 * the contract's schema can never succeed, so it fails at once without retries.
 */
export function parseJobData<S extends z.ZodType>(schema: S, job: Job): z.output<S> {
  const result = schema.safeParse(job.data);
  if (!result.success) throw new InvalidJobDataError(describeZodError(result.error));
  return result.data;
}

/** True when a throw from this attempt would fail the job for good (no retry left). */
export function isFinalAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** The BullMQ job id, which the gateway sets to the request id. */
export function jobIdOf(job: Pick<Job, 'id'>, requestId: string): string {
  return job.id ?? requestId;
}

/** A child logger with the job's structured fields; never the job's payload. */
export function jobLogger(logger: Logger, job: Job, roomId: string): Logger {
  return logger.child({ jobId: job.id, roomId, queue: job.queueName, attempt: job.attemptsMade + 1 });
}
