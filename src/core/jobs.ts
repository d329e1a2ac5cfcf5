/**
 * The job contracts every capability speaks, below `app` so nothing in `app` imports the worker.
 * The worker (src/jobs/worker.ts) runs handlers of this shape; src/main/job-handlers.ts builds the map.
 */

/** The claimed job as a handler sees it (a `jobs` row satisfies it). */
export interface RunningJob {
  id: string;
  kind: string;
  attempts: number;
  max_attempts: number;
}

export interface JobContext {
  job: RunningJob;
  worker: string;
  signal: AbortSignal;
}

/** A handler runs one job. Throwing retries it with backoff; `RetryLater` picks the time. */
export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<void>;

/** Reschedules a job at a given time; by default this does not use up an attempt (429, paused server). */
export class RetryLater extends Error {
  constructor(
    readonly retryAt: number,
    reason: string,
    readonly countAttempt = false,
  ) {
    super(reason);
    this.name = 'RetryLater';
  }
}

/** A job enqueued once per period across all instances (the scheduler claims each period once). */
export interface PeriodicTask {
  /** Unique name; also the job's dedupe key prefix. */
  name: string;
  everyMs: number;
  /** Job kind enqueued once per period. */
  kind: string;
  payload?: unknown;
}
