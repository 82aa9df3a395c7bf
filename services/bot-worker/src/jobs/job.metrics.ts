import { Counter, Histogram, type Registry } from '@chat/runtime';

/**
 * How a job was answered: a real answer, one of the bots' apologies, a stored reply
 * sent by a later attempt (`replayed`), or nothing sent because it had been (`already_sent`).
 */
export type ReplyOutcome = 'answered' | 'no_data' | 'unavailable' | 'not_configured' | 'replayed' | 'already_sent';

export interface JobMetrics {
  completed: Counter<'queue'>;
  /** Every failed attempt; `final` is "true" when no retry is left. */
  failed: Counter<'queue' | 'final'>;
  /** Each attempt's run time, by how it ended. */
  duration: Histogram<'queue' | 'status'>;
  replies: Counter<'queue' | 'outcome'>;
}

export function createJobMetrics(registry: Registry): JobMetrics {
  return {
    completed: new Counter({
      name: 'bot_jobs_completed_total',
      help: 'Bot jobs completed, by queue',
      labelNames: ['queue'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'bot_jobs_failed_total',
      help: 'Failed bot job attempts, by queue; final="true" when the job gave up',
      labelNames: ['queue', 'final'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'bot_job_duration_seconds',
      help: 'Run time of one bot job attempt, by queue and status',
      labelNames: ['queue', 'status'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    replies: new Counter({
      name: 'bot_replies_total',
      help: 'Bot replies posted, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
  };
}
