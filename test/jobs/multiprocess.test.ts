import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Db } from '../../src/adapters/store/db.js';
import { enqueue, enqueueMany } from '../../src/adapters/store/queue.js';
import { eventually } from '../helpers/app.js';
import { dropDatabase, freshDb, postgresUnavailable } from '../helpers/db.js';
import {
  killAll,
  startRolegateProcess,
  TEST_RECORD_KIND,
  TEST_SLOW_KIND,
  type RolegateProcess,
} from './fixtures/processes.js';

// Several processes sharing one queue is the PostgreSQL deployment; SQLite is one process by design.
const skip = await postgresUnavailable();
const title = 'one serve and two worker processes on PostgreSQL';

(skip ? describe.skip : describe)(skip ? `${title} (skipped: ${skip})` : title, () => {
  let db: Db;
  let url = '';
  let serve: RolegateProcess;
  let workerA: RolegateProcess;
  let workerB: RolegateProcess;
  // The shortest lease the configuration allows, so a killed worker's job comes back quickly.
  const env = { JOB_LEASE_SECONDS: '5', WORKER_CONCURRENCY: '16' };

  beforeAll(async () => {
    ({ db, url } = await freshDb('postgres'));
    serve = startRolegateProcess('serve', 'serve', url, env);
    workerA = startRolegateProcess('worker', 'worker-a', url, env);
    workerB = startRolegateProcess('worker', 'worker-b', url, env);
    await Promise.all([serve.ready, workerA.ready, workerB.ready]);
  }, 60_000);

  afterAll(async () => {
    await killAll([serve, workerA, workerB].filter(Boolean));
    await db?.close();
    await dropDatabase(url);
  });

  const runsByRole = async (kind: string, jobId?: string) => {
    let q = db.kysely.selectFrom('job_runs').select(['job_id', 'worker']).where('kind', '=', kind);
    if (jobId) q = q.where('job_id', '=', jobId);
    const rows = await q.orderBy('id').execute();
    return rows.map((r) => ({ jobId: r.job_id, role: r.worker.split('|')[0] }));
  };

  it('drain 10,000 queued jobs, running every job exactly once, with both workers doing work', async () => {
    await enqueueMany(
      db.kysely,
      db.dialect,
      Array.from({ length: 10_000 }, (_, i) => ({ kind: TEST_RECORD_KIND, payload: { i } })),
    );
    await eventually(
      async () => {
        const left = await db.kysely
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('kind', '=', TEST_RECORD_KIND)
          .executeTakeFirstOrThrow();
        return Number(left.n) === 0;
      },
      // About 5 s on a quiet 2-core machine; the margin is for a loaded CI box.
      50_000,
      'the queue to drain',
    );
    // No queued or running row is left, so no run can still happen: the counts are final.
    const totals = await sql<{ runs: number; distinct_jobs: number }>`
      SELECT count(*)::int AS runs, count(DISTINCT job_id)::int AS distinct_jobs
      FROM job_runs WHERE kind = ${TEST_RECORD_KIND}`.execute(db.kysely);
    expect(totals.rows[0]).toEqual({ runs: 10_000, distinct_jobs: 10_000 });
    const perRole = await sql<{ role: string; n: number }>`
      SELECT split_part(worker, '|', 1) AS role, count(*)::int AS n
      FROM job_runs WHERE kind = ${TEST_RECORD_KIND} GROUP BY 1 ORDER BY 1`.execute(db.kysely);
    const roles = Object.fromEntries(perRole.rows.map((r) => [r.role, r.n]));
    expect(roles['worker-a']).toBeGreaterThan(0);
    expect(roles['worker-b']).toBeGreaterThan(0);
  }, 75_000);

  it('a worker killed with SIGKILL mid-job has its job re-run by another worker after the lease expires', async () => {
    // Only the two workers take part: the serve process stops gracefully first.
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toEqual({ code: 0, signal: null });

    await enqueue(db.kysely, db.dialect, { kind: TEST_SLOW_KIND, payload: { ms: 120_000 } });
    const [first] = await eventually(async () => {
      const runs = await runsByRole(TEST_SLOW_KIND);
      return runs.length > 0 ? runs : null;
    }, 10_000);
    const victim = first!.role === 'worker-a' ? workerA : workerB;
    const survivor = victim === workerA ? workerB : workerA;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await victim.exited).signal).toBe('SIGKILL');

    const runs = await eventually(
      async () => {
        const r = await runsByRole(TEST_SLOW_KIND, first!.jobId);
        return r.length >= 2 ? r : null;
      },
      25_000,
      'the killed job to run again',
    );
    expect(runs.map((r) => r.role)).toEqual([victim.role, survivor.role]);
    // Not before the lease ran out: the survivor waited for the reaper, it did not steal the job.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(3_000);
    const job = await db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', first!.jobId)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'running', attempts: 2 });
    expect(job.locked_by).toBe(await survivor.ready);
  }, 60_000);
});
