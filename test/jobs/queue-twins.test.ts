import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { claimJobs, enqueue, failJob, reapExpiredLeases } from '../../src/adapters/store/queue.js';

/**
 * A job with a dedupe key can be running while the same change is queued again (its "twin"):
 * only one *queued* job per key may exist. These cases were found by the reconcile convergence
 * property test (test/reconcile/convergence.test.ts).
 */
describeEachBackend('job queue: a running job and its queued twin', ({ db }) => {
  const t0 = Date.UTC(2030, 0, 1);
  const jobs = () => db().kysely.selectFrom('jobs').selectAll().orderBy('created_at').execute();
  const sync = { kind: 'member.sync', dedupeKey: 'sync:srv:1' };

  it('a crashed job whose change was queued again is dropped by the reaper, and the reap goes on', async () => {
    await db().kysely.deleteFrom('jobs').execute();
    await enqueue(db().kysely, db().dialect, sync, t0);
    const [crashed] = await claimJobs(db(), 'w1', 1, 1000, t0);
    await enqueue(db().kysely, db().dialect, sync, t0 + 1);
    await enqueue(db().kysely, db().dialect, { kind: 'other', runAt: t0 }, t0 + 2);
    await claimJobs(db(), 'w2', 1, 1000, t0 + 2); // another crashed job, without a twin
    expect(await reapExpiredLeases(db().kysely, t0 + 10_000)).toBe(2);
    const left = await jobs();
    expect(left.map((j) => [j.kind, j.status])).toEqual([
      ['member.sync', 'queued'],
      ['other', 'queued'],
    ]);
    expect(left.some((j) => j.id === crashed?.id)).toBe(false);
  });

  it('two crashed runs of one key are reaped into one queued job', async () => {
    await db().kysely.deleteFrom('jobs').execute();
    await enqueue(db().kysely, db().dialect, sync, t0);
    await claimJobs(db(), 'w1', 1, 1000, t0);
    await enqueue(db().kysely, db().dialect, sync, t0 + 1);
    await claimJobs(db(), 'w2', 1, 1000, t0 + 1);
    await reapExpiredLeases(db().kysely, t0 + 10_000);
    expect((await jobs()).map((j) => j.status)).toEqual(['queued']);
  });

  it('a failing job yields to its queued twin instead of breaking the one-queued-per-key rule', async () => {
    await db().kysely.deleteFrom('jobs').execute();
    await enqueue(db().kysely, db().dialect, sync, t0);
    const [running] = await claimJobs(db(), 'w1', 1, 60_000, t0);
    if (!running) throw new Error('setup');
    await enqueue(db().kysely, db().dialect, sync, t0 + 1);
    expect(await failJob(db().kysely, running, 'w1', 'Discord 503', { now: t0 + 2 })).toBe('queued');
    const left = await jobs();
    expect(left).toHaveLength(1);
    expect(left[0]?.id).not.toBe(running.id);
  });
});
