import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import {
  backoffMs,
  claimJobs,
  completeJob,
  completeJobs,
  enqueue,
  enqueueMany,
  failJob,
  listDeadJobs,
  queueDepth,
  reapExpiredLeases,
  releaseJobs,
  retryDeadJob,
} from '../../src/adapters/store/queue.js';
import { z } from 'zod';
import { defineJob, defineTask, everyPeriod, handle, jobMap } from '../../src/core/jobs.js';
import { claimPeriod } from '../../src/jobs/scheduler.js';
import { Worker } from '../../src/jobs/worker.js';
import { Metrics } from '../../src/ops/metrics.js';
import { eventually } from '../helpers/app.js';

describe('backoff', () => {
  it('doubles per attempt, with jitter inside [half, full], capped at one hour', () => {
    expect(backoffMs(1, 0)).toBe(500);
    expect(backoffMs(1, 1)).toBe(1000);
    expect(backoffMs(4, 1)).toBe(8000);
    expect(backoffMs(40, 1)).toBe(3_600_000);
  });
});

describeEachBackend('job queue', ({ db }) => {
  const t0 = Date.UTC(2030, 0, 1);
  const clear = () => db().kysely.deleteFrom('jobs').execute();

  it('claims due jobs once, in run_at order, and not future ones', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'a', payload: { n: 2 }, runAt: t0 + 2 }, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'a', payload: { n: 1 }, runAt: t0 + 1 }, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'a', payload: { n: 3 }, runAt: t0 + 60_000 }, t0);
    const first = await claimJobs(db(), 'w1', 10, 30_000, t0 + 10);
    expect(first.map((j) => JSON.parse(j.payload).n)).toEqual([1, 2]);
    expect(await claimJobs(db(), 'w2', 10, 30_000, t0 + 10)).toEqual([]);
    for (const j of first) expect(await completeJob(db().kysely, j, 'w1')).toBe(true);
  });

  it('a burst with one dedupe key collapses into one queued job at the earliest time', async () => {
    await clear();
    for (let i = 0; i < 5; i++)
      await enqueue(db().kysely, db().dialect, { kind: 'sync', dedupeKey: 'm:1', runAt: t0 + 100 - i }, t0);
    const rows = await db().kysely.selectFrom('jobs').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.run_at).toBe(t0 + 96);
  });

  it('a change during a run queues one follow-up run', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'sync', dedupeKey: 'm:2' }, t0);
    const [job] = await claimJobs(db(), 'w1', 1, 30_000, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'sync', dedupeKey: 'm:2' }, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'sync', dedupeKey: 'm:2' }, t0);
    const all = await db().kysely.selectFrom('jobs').select('status').execute();
    expect(all.map((r) => r.status).sort()).toEqual(['queued', 'running']);
    await completeJob(db().kysely, job!, 'w1');
  });

  it('a failure backs off, and the last attempt makes the job dead, listed and retryable', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'x', maxAttempts: 2 }, t0);
    let [job] = await claimJobs(db(), 'w1', 1, 30_000, t0);
    expect(await failJob(db().kysely, job!, 'w1', 'boom', { now: t0 })).toBe('queued');
    const queued = await db().kysely.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    expect(queued.run_at).toBeGreaterThanOrEqual(t0 + 500);
    [job] = await claimJobs(db(), 'w1', 1, 30_000, t0 + 3_600_000);
    expect(job?.attempts).toBe(2);
    expect(await failJob(db().kysely, job!, 'w1', 'boom again', { now: t0 })).toBe('dead');
    const dead = await listDeadJobs(db().kysely);
    expect(dead.map((d) => d.last_error)).toEqual(['boom again']);
    expect(await retryDeadJob(db().kysely, job!.id, t0)).toBe(true);
    expect((await claimJobs(db(), 'w1', 1, 30_000, t0))[0]?.attempts).toBe(1);
  });

  it('an error message holding NUL bytes and far too long is stored cleaned and capped, on every backend', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'x', maxAttempts: 1 }, t0);
    const [job] = await claimJobs(db(), 'w1', 1, 30_000, t0);
    const message = `vendor said \u0000boom\u0000 ${'é'.repeat(3000)}`;
    expect(await failJob(db().kysely, job!, 'w1', message, { now: t0 })).toBe('dead');
    const [dead] = await listDeadJobs(db().kysely);
    expect(dead!.last_error).toMatch(/^vendor said \uFFFDboom\uFFFD é/);
    expect(dead!.last_error).not.toContain('\u0000');
    expect(Buffer.byteLength(dead!.last_error!)).toBeLessThanOrEqual(2000);
    expect(dead!.last_error!.endsWith('é')).toBe(true); // never cut inside a character
  });

  it('a crashed worker’s job is re-run after its lease expires, and its late finish changes nothing', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'x' }, t0);
    const [job] = await claimJobs(db(), 'crashed', 1, 1000, t0);
    expect(await reapExpiredLeases(db().kysely, t0 + 500)).toBe(0);
    expect(await reapExpiredLeases(db().kysely, t0 + 1001)).toBe(1);
    const [again] = await claimJobs(db(), 'w2', 1, 1000, t0 + 1001);
    expect(again?.id).toBe(job?.id);
    expect(await completeJob(db().kysely, job!, 'crashed')).toBe(false);
    expect(await completeJob(db().kysely, again!, 'w2')).toBe(true);
  });

  it('release hands a job back without using an attempt', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'x' }, t0);
    const [job] = await claimJobs(db(), 'w1', 1, 1000, t0);
    expect(await releaseJobs(db().kysely, 'w1', [job!.id], t0)).toBe(1);
    expect((await claimJobs(db(), 'w1', 1, 1000, t0))[0]?.attempts).toBe(1);
  });

  it('reports depth by status and kind', async () => {
    await clear();
    await enqueue(db().kysely, db().dialect, { kind: 'k1' }, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'k1', runAt: t0 + 60_000 }, t0);
    const depth = await queueDepth(db().kysely, t0 + 1);
    expect(depth.byStatusKind).toEqual([{ status: 'queued', kind: 'k1', n: 2 }]);
    expect(depth.due).toBe(1);
  });

  it('a periodic task fires once per period across instances', async () => {
    await clear();
    const task = everyPeriod(defineTask('reconcile.all'), 60_000, 'reconcile');
    const results = await Promise.all([
      claimPeriod(db(), task, t0),
      claimPeriod(db(), task, t0 + 5),
      claimPeriod(db(), task, t0 + 10),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await claimPeriod(db(), task, t0 + 60_000)).toBe(true);
  });

  it('enqueueMany inserts jobs in bulk and still collapses a dedupe key into one queued job', async () => {
    await clear();
    const plain = Array.from({ length: 2_500 }, (_, i) => ({ kind: 'bulk', payload: { i } }));
    const keyed = [3, 1, 2].map((n) => ({ kind: 'sync', dedupeKey: 'm:bulk', runAt: t0 + n }));
    await enqueueMany(db().kysely, db().dialect, [...plain, ...keyed], t0);
    const depth = await queueDepth(db().kysely, t0 + 10);
    expect(depth.byStatusKind).toHaveLength(2);
    expect(depth.byStatusKind).toEqual(
      expect.arrayContaining([
        { status: 'queued', kind: 'bulk', n: 2_500 },
        { status: 'queued', kind: 'sync', n: 1 },
      ]),
    );
    const sync = await db().kysely.selectFrom('jobs').selectAll().where('kind', '=', 'sync').execute();
    expect(sync[0]?.run_at).toBe(t0 + 1);
  });

  it('completeJobs removes, in one statement, only the jobs the worker still holds', async () => {
    await clear();
    await enqueueMany(db().kysely, db().dialect, [{ kind: 'x' }, { kind: 'x' }, { kind: 'x' }], t0);
    const mine = await claimJobs(db(), 'w1', 2, 1000, t0);
    const [theirs] = await claimJobs(db(), 'w2', 1, 1000, t0);
    const removed = await completeJobs(db().kysely, [...mine.map((j) => j.id), theirs!.id], 'w1');
    expect([...removed].sort()).toEqual(mine.map((j) => j.id).sort());
    expect(await db().kysely.selectFrom('jobs').select('locked_by').execute()).toEqual([{ locked_by: 'w2' }]);
  });

  it('a worker runs every job once and batches their completions', async () => {
    await clear();
    await enqueueMany(
      db().kysely,
      db().dialect,
      Array.from({ length: 300 }, (_, i) => ({ kind: 'count', payload: { i } })),
    );
    const runs = new Map<number, number>();
    const worker = new Worker(
      db(),
      jobMap([
        handle(defineJob('count', z.object({ i: z.number() })), async ({ i }) => {
          runs.set(i, (runs.get(i) ?? 0) + 1);
        }),
      ]),
      pino({ level: 'silent' }),
      new Metrics(),
      { concurrency: 32, idlePollMs: 20 },
    );
    worker.start();
    try {
      await eventually(async () => {
        const left = await db().kysely.selectFrom('jobs').select('id').limit(1).execute();
        return left.length === 0;
      });
    } finally {
      await worker.stop();
    }
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});

describeEachBackend('job queue: one run at a time per dedupe key', ({ db }) => {
  const t0 = Date.UTC(2031, 0, 1);
  it('a queued follow-up is not claimed while a job with its key runs, and is claimed after', async () => {
    await db().kysely.deleteFrom('jobs').execute();
    await enqueue(db().kysely, db().dialect, { kind: 'sync', dedupeKey: 'm:serial' }, t0);
    const [first] = await claimJobs(db(), 'w1', 10, 30_000, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'sync', dedupeKey: 'm:serial' }, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'other', dedupeKey: 'm:free' }, t0);
    const second = await claimJobs(db(), 'w2', 10, 30_000, t0);
    expect(second.map((j) => j.kind)).toEqual(['other']);
    await completeJob(db().kysely, first!, 'w1');
    expect((await claimJobs(db(), 'w2', 10, 30_000, t0)).map((j) => j.kind)).toEqual(['sync']);
  });

  it('replacePayload lets a later enqueue overwrite the queued payload; by default the first is kept', async () => {
    await db().kysely.deleteFrom('jobs').execute();
    await enqueue(db().kysely, db().dialect, { kind: 'p', dedupeKey: 'k', payload: { n: 1 } }, t0);
    await enqueue(db().kysely, db().dialect, { kind: 'p', dedupeKey: 'k', payload: { n: 2 } }, t0);
    let row = await db().kysely.selectFrom('jobs').select('payload').executeTakeFirstOrThrow();
    expect(JSON.parse(row.payload)).toEqual({ n: 1 });
    await enqueue(
      db().kysely,
      db().dialect,
      { kind: 'p', dedupeKey: 'k', payload: { n: 3 }, replacePayload: true },
      t0,
    );
    row = await db().kysely.selectFrom('jobs').select('payload').executeTakeFirstOrThrow();
    expect(JSON.parse(row.payload)).toEqual({ n: 3 });
  });
});
