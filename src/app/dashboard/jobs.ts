import type { AppContext } from '../shared/context.js';
import { AppError, notFound } from '../../core/errors.js';
import { queueDepth, retryDeadJob, type Job } from '../../adapters/store/queue.js';
import { findJobs, jobById, requeueDeadJobs, type JobFilter } from './store/jobs.js';

/**
 * The durable job queue as the dashboard shows it: dead jobs (failed their last attempt) with their
 * error, and putting them back in the queue. Done jobs are deleted, so queued, running and dead remain.
 */

export type { JobFilter };

/** Jobs newest first, `limit + 1` rows for `toPage`. */
export async function listJobs(ctx: AppContext, f: JobFilter): Promise<Job[]> {
  return findJobs(ctx.db.kysely, f);
}

export async function loadJob(ctx: AppContext, id: string): Promise<Job> {
  const job = await jobById(ctx.db.kysely, id);
  if (!job) throw notFound('job', id);
  return job;
}

/** Puts one dead job back in the queue with a fresh set of attempts; 409 when it is not dead. */
export async function retryJob(ctx: AppContext, id: string): Promise<Job> {
  const job = await loadJob(ctx, id);
  if (job.status !== 'dead')
    throw new AppError(
      'invalid_transition',
      `job ${id} is ${job.status}, not dead: only a job that failed its last attempt can be retried`,
    );
  if (await retryDeadJob(ctx.db.kysely, id, ctx.clock.now())) ctx.nudge();
  return loadJob(ctx, id).catch(() => ({ ...job, status: 'queued' }));
}

/** Puts every dead job (of one kind, if given) back in the queue. */
export async function retryDeadJobs(ctx: AppContext, kind?: string): Promise<number> {
  const n = await requeueDeadJobs(ctx.db.kysely, ctx.clock.now(), kind);
  if (n > 0) ctx.nudge();
  return n;
}

export async function jobStats(ctx: AppContext) {
  const depth = await queueDepth(ctx.db.kysely, ctx.clock.now());
  const count = (status: string) =>
    depth.byStatusKind.filter((r) => r.status === status).reduce((n, r) => n + r.n, 0);
  return {
    queued: count('queued'),
    running: count('running'),
    dead: count('dead'),
    due: depth.due,
    by_kind: depth.byStatusKind.map((r) => ({ status: r.status, kind: r.kind, count: r.n })),
  };
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function jobView(j: Job) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: j.id,
    object: 'job' as const,
    kind: j.kind,
    status: j.status,
    payload: parsePayload(j.payload),
    attempts: j.attempts,
    max_attempts: j.max_attempts,
    run_at: iso(j.run_at),
    last_error: j.last_error,
    created_at: iso(j.created_at),
    updated_at: iso(j.updated_at),
  };
}
