import { z } from 'zod';

/**
 * The job contracts every capability speaks, below `app` so nothing in `app` imports the worker
 * (docs/decisions/0024-typed-jobs-and-inbox.md). A capability declares each job kind once with the
 * zod schema of its payload (`defineJob`, in the capability's `jobs.ts`); `Tx.enqueue` accepts only
 * that payload type; the worker (src/jobs/worker.ts) parses the stored payload with the schema
 * before the handler runs, and a payload that does not parse ends the job `dead` with the reason.
 * src/main/job-handlers.ts builds the map of kinds to handlers.
 */

/** A job kind and the schema of its payload. The kind string is stored in `jobs.kind`: never rename one. */
export interface JobType<K extends string = string, S extends z.ZodType = z.ZodType> {
  readonly kind: K;
  readonly schema: S;
}

/** Declares a job kind with its payload schema. */
export function defineJob<const K extends string, S extends z.ZodType>(kind: K, schema: S): JobType<K, S> {
  return { kind, schema };
}

/** The payload of a job without one (periodic tasks): stored as `{}`. */
export const NO_PAYLOAD = z.object({});

/** A job kind without a payload, the kind a periodic task enqueues. */
export type TaskType<K extends string = string> = JobType<K, typeof NO_PAYLOAD>;

export function defineTask<const K extends string>(kind: K): TaskType<K> {
  return defineJob(kind, NO_PAYLOAD);
}

/** What `enqueue` takes for a job: the payload as written (the schema's input). */
export type PayloadIn<J extends JobType> = z.input<J['schema']>;
/** What the handler gets: the payload as parsed (the schema's output). */
export type PayloadOf<J extends JobType> = z.output<J['schema']>;

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
export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => Promise<void>;

/** A job kind with its handler, as the worker's map holds it. */
export interface RegisteredJob {
  readonly job: JobType;
  /** Runs the handler on a payload already parsed with `job.schema`. */
  readonly run: JobHandler;
}

/** Pairs a job kind with its handler; the handler gets the parsed, typed payload. */
export function handle<J extends JobType>(job: J, handler: JobHandler<PayloadOf<J>>): RegisteredJob {
  // The worker only calls `run` with the output of `job.schema`, which is `PayloadOf<J>`.
  return { job, run: handler as JobHandler };
}

/** Every job kind and its handler; a kind registered twice is a programming error. */
export type JobMap = Readonly<Record<string, RegisteredJob>>;

export function jobMap(jobs: readonly RegisteredJob[]): JobMap {
  const map: Record<string, RegisteredJob> = {};
  for (const r of jobs) {
    if (map[r.job.kind]) throw new Error(`job kind "${r.job.kind}" is registered twice`);
    map[r.job.kind] = r;
  }
  return map;
}

/** A stored payload that its kind's schema refuses: the job can never succeed, so it is not retried. */
export class InvalidJobPayload extends Error {
  constructor(kind: string, error: z.ZodError) {
    super(`invalid ${kind} payload: ${z.prettifyError(error)}`);
    this.name = 'InvalidJobPayload';
  }
}

/** Parses a stored payload with its kind's schema (throws `InvalidJobPayload`). */
export function parsePayload(registered: RegisteredJob, payload: unknown): unknown {
  const parsed = registered.job.schema.safeParse(payload);
  if (!parsed.success) throw new InvalidJobPayload(registered.job.kind, parsed.error);
  return parsed.data;
}

/** Parses and runs one job the way the worker does (tests that drive jobs by hand use it too). */
export async function runRegistered(registered: RegisteredJob, payload: unknown, ctx: JobContext) {
  await registered.run(parsePayload(registered, payload), ctx);
}

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
  /** The job enqueued once per period (with an empty payload). */
  job: TaskType;
}

/** A periodic task named after its job kind. */
export function everyPeriod(job: TaskType, everyMs: number, name: string = job.kind): PeriodicTask {
  return { name, everyMs, job };
}
