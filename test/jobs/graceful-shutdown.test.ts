import { afterEach, expect, it } from 'vitest';
import { enqueue } from '../../src/adapters/store/queue.js';
import { eventually } from '../helpers/app.js';
import { describeEachBackend } from '../helpers/backends.js';
import {
  killAll,
  startRolegateProcess,
  TEST_SLOW_FINISHED,
  TEST_SLOW_KIND,
  type RolegateProcess,
} from './fixtures/processes.js';

describeEachBackend('SIGTERM to a worker process', ({ db, url }) => {
  let worker: RolegateProcess | undefined;
  afterEach(async () => {
    if (worker) await killAll([worker]);
    worker = undefined;
  });

  /** Starts a worker, enqueues a slow job and waits until the worker has started running it. */
  async function workerRunningSlowJob(ms: number): Promise<{ worker: RolegateProcess; jobId: string }> {
    await db().kysely.deleteFrom('jobs').execute();
    worker = startRolegateProcess('worker', 'worker', url());
    await worker.ready;
    await enqueue(db().kysely, db().dialect, { kind: TEST_SLOW_KIND, payload: { ms } });
    const started = await eventually(
      () =>
        db()
          .kysely.selectFrom('jobs')
          .innerJoin('job_runs', 'job_runs.job_id', 'jobs.id')
          .select('jobs.id')
          .where('job_runs.kind', '=', TEST_SLOW_KIND)
          .executeTakeFirst(),
      15_000,
      'the worker to start the slow job',
    );
    return { worker, jobId: started.id };
  }

  it('lets a running job finish, completes it, and exits 0', async () => {
    const { worker, jobId } = await workerRunningSlowJob(1_500);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const finished = await db()
      .kysely.selectFrom('job_runs')
      .select('id')
      .where('job_id', '=', jobId)
      .where('kind', '=', TEST_SLOW_FINISHED)
      .execute();
    expect(finished).toHaveLength(1);
    expect(await db().kysely.selectFrom('jobs').select('id').where('id', '=', jobId).execute()).toEqual([]);
  }, 40_000);

  it('hands a job still running after the grace period back to the queue without using an attempt', async () => {
    const { worker, jobId } = await workerRunningSlowJob(120_000);
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // It waited for the job (10 s grace) rather than dropping it at once.
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(9_000);
    const job = await db()
      .kysely.selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'queued', attempts: 0, locked_by: null, locked_until: null });
    expect(worker.output()).toContain('released unfinished jobs to the queue');
  }, 40_000);
});
