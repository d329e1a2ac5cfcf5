import type { AppContext } from '../shared/context.js';
import { AppError, notFound } from '../../core/errors.js';
import { queueDepth, retryDeadJob, type Job } from '../../adapters/store/queue.js';

/**
 * The durable job queue as the dashboard shows it: dead jobs (failed their last attempt) with their
 * error, and putting them back in the queue. Done jobs are deleted, so queued, running and dead remain.
 */

export interface JobFilter {
  status?: 'queued' | 'running' | 'dead' | undefined;
  kind?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Jobs newest first, `limit + 1` rows for `toPage`. */
export async function listJobs(ctx: AppContext, f: JobFilter): Promise<Job[]> {
  let q = ctx.db.kysely.selectFrom('jobs').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.afterId) q = q.where('id', '<', f.afterId);
  return q
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
}

export async function loadJob(ctx: AppContext, id: string): Promise<Job> {
  const job = await ctx.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
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
  const now = ctx.clock.now();
  let q = ctx.db.kysely
    .updateTable('jobs')
    .set({ status: 'queued', attempts: 0, run_at: now, updated_at: now, last_error: null })
    .where('status', '=', 'dead');
  if (kind) q = q.where('kind', '=', kind);
  const n = Number((await q.executeTakeFirst()).numUpdatedRows);
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
