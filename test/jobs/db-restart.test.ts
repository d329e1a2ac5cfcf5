import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDb, type Db } from '../../src/adapters/store/db.js';
import { enqueueMany } from '../../src/adapters/store/queue.js';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { pgInstanceUnavailable, startPgInstance, type PgInstance } from '../helpers/pg-instance.js';
import {
  killAll,
  startRolegateProcess,
  TEST_RECORD_KIND,
  TEST_SLOW_FINISHED,
  TEST_SLOW_KIND,
  type RolegateProcess,
} from './fixtures/processes.js';
import { StripeWebhookSender } from './fixtures/stripe-sender.js';
import { stripeProcessEventJob } from '../../src/app/billing/jobs.js';

const run = promisify(execFile);
const skip = pgInstanceUnavailable();
const title = 'a PostgreSQL restart stops nothing (serve + worker on a test-owned PostgreSQL)';

const RECORD_JOBS_PER_BATCH = 10_000;
const SLOW_JOBS = 24;
const SLOW_JOB_MS = 4_000;

(skip ? describe.skip : describe)(skip ? `${title} (skipped: ${skip})` : title, () => {
  let pgi: PgInstance;
  let db: Db;
  let stripe: LocalStripe;
  let serve: RolegateProcess;
  let worker: RolegateProcess;
  let apiKey = '';
  const exits: string[] = [];
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    pgi = await startPgInstance();
    db = openDb(pgi.url);
    await migrate(db);
    stripe = await startLocalStripe({ sweepIntervalMs: null });
    const env = {
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_API_URL: stripe.url,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      WORKER_CONCURRENCY: '16',
    };
    serve = startRolegateProcess('serve', 'serve', pgi.url, env);
    worker = startRolegateProcess('worker', 'worker', pgi.url, env);
    for (const p of [serve, worker])
      void p.exited.then(({ code, signal }) => exits.push(`${p.role} exited (${code ?? signal})`));
    await Promise.all([serve.ready, worker.ready]);
    const created = await run(process.execPath, ['bin/rolegate.js', 'api-keys', 'create', 'restart-test'], {
      env: { ...process.env, DATABASE_URL: pgi.url, LOG_LEVEL: 'warn' },
    });
    apiKey = /\b(rg_[\w-]+)/.exec(created.stdout)?.[1] ?? '';
  }, 120_000);

  afterAll(async () => {
    await sender?.stop();
    await killAll([serve, worker].filter(Boolean));
    await stripe?.close();
    await db?.close();
    await pgi?.destroy();
  });

  const baseUrl = () => /ROLEGATE_TEST_URL (\S+)/.exec(serve.output())?.[1] ?? '';

  /** Polls until `check` holds; fails at once when a Rolegate process has exited. */
  const until = async <T>(check: () => Promise<T | null | false>, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown = null;
    for (;;) {
      if (exits.length > 0)
        throw new Error(
          `${exits.join(', ')} while waiting for ${what}:\n${serve.output()}\n${worker.output()}`,
        );
      try {
        const value = await check();
        if (value) return value;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const count = async (query: string) => {
    const r = await sql<{ n: number }>`${sql.raw(query)}`.execute(db.kysely);
    return Number(r.rows[0]?.n ?? 0);
  };
  const recordRuns = () => count(`SELECT count(*) AS n FROM job_runs WHERE kind = '${TEST_RECORD_KIND}'`);

  const enqueueRecordJobs = () =>
    enqueueMany(
      db.kysely,
      db.dialect,
      // One attempt each: a job that burned an attempt because the database vanished would be dead.
      Array.from({ length: RECORD_JOBS_PER_BATCH }, (_, i) => ({
        kind: TEST_RECORD_KIND,
        payload: { i },
        maxAttempts: 1,
      })),
    );

  const api = async (path: string) => {
    const res = await fetch(baseUrl() + path, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
  };

  const isServiceUnavailable = (a: { status: number; retryAfter: string | null; body: string }) => {
    if (a.status !== 503 || !a.retryAfter) return false;
    const parsed = JSON.parse(a.body) as { error?: { code?: string; request_id?: string } };
    return parsed.error?.code === 'service_unavailable' && typeof parsed.error.request_id === 'string';
  };

  let sender: StripeWebhookSender;
  const slowJobStarts = () => count(`SELECT count(*) AS n FROM job_runs WHERE kind = '${TEST_SLOW_KIND}'`);

  it('webhooks and jobs flow through a serve and a worker process', async () => {
    sender = new StripeWebhookSender(`${baseUrl()}/webhooks/stripe`, webhookSecret);
    sender.start();
    await enqueueRecordJobs();
    await until(async () => (await recordRuns()) >= 300, 60_000, 'jobs to flow');
    await until(async () => sender.acknowledged.size >= 5, 60_000, 'webhooks to be acknowledged');
  }, 120_000);

  it('a fast restart (57P01 on every connection) ends no process, and work resumes by itself', async () => {
    const ranBefore = await recordRuns();
    await pgi.restart();
    const ackedBefore = sender.acknowledged.size;
    await until(async () => sender.acknowledged.size > ackedBefore + 5, 60_000, 'webhooks after the restart');
    await until(async () => (await recordRuns()) > ranBefore + 300, 60_000, 'jobs after the restart');
    expect(exits).toEqual([]);
  }, 120_000);

  it('stopped for seconds with jobs mid-handler: the webhook and the API answer 503 in the one error shape, /readyz 503, /healthz 200', async () => {
    await enqueueRecordJobs();
    await enqueueMany(
      db.kysely,
      db.dialect,
      Array.from({ length: SLOW_JOBS }, () => ({
        kind: TEST_SLOW_KIND,
        // Still sleeping when the database stops: their last write meets the outage.
        payload: { ms: SLOW_JOB_MS },
        maxAttempts: 1,
        // Ahead of the record backlog, so they start now.
        runAt: Date.now() - 60_000,
      })),
    );
    await until(
      async () =>
        (await count(`SELECT count(DISTINCT job_id) AS n FROM job_runs WHERE kind = '${TEST_SLOW_KIND}'`)) ===
        SLOW_JOBS,
      60_000,
      'the slow jobs to start',
    );
    await pgi.stop();
    const stoppedAt = Date.now();
    const webhookWhileDown = await until(
      async () => {
        const a = await sender.probe();
        return a.status === 503 ? a : null;
      },
      15_000,
      'a webhook answered while the database is down',
    );
    expect(isServiceUnavailable(webhookWhileDown)).toBe(true);
    const apiWhileDown = await api('/api/entitlements');
    expect(isServiceUnavailable(apiWhileDown)).toBe(true);
    expect((await fetch(`${baseUrl()}/readyz`)).status).toBe(503);
    expect((await fetch(`${baseUrl()}/healthz`)).status).toBe(200);
    // Long enough for the slow jobs' handlers to fail against the missing database and for every
    // loop to back off more than once.
    await until(async () => Date.now() - stoppedAt >= SLOW_JOB_MS + 1_000, 10_000, 'the outage to last');
    expect(exits).toEqual([]);
  }, 120_000);

  it('started again: every acknowledged event is stored once and processed, every job ran exactly once, none dead, no process exited', async () => {
    await pgi.start();
    await sender.drain(90_000);
    const left = () =>
      sql<{ kind: string; status: string; n: number }>`
        SELECT kind, status, count(*)::int AS n FROM jobs
        WHERE kind IN (${TEST_RECORD_KIND}, ${TEST_SLOW_KIND}, ${stripeProcessEventJob.kind})
        GROUP BY kind, status ORDER BY kind, status`.execute(db.kysely);
    await until(async () => (await left()).rows.length === 0, 120_000, 'every job to finish').catch(
      async (err: Error) => {
        throw new Error(`${err.message}; left: ${JSON.stringify((await left()).rows)}`);
      },
    );
    expect((await api('/api/entitlements')).status).toBe(200);
    expect((await fetch(`${baseUrl()}/readyz`)).status).toBe(200);
    expect(exits).toEqual([]);

    // Every webhook answer was 200 or 503 (the one shape, with Retry-After); never a 500.
    expect(sender.answers.filter((a) => a.status !== 200 && !isServiceUnavailable(a))).toEqual([]);

    const events = await db.kysely
      .selectFrom('inbox_events')
      .select(['id', 'processed_at'])
      .where('source', '=', 'stripe')
      .execute();
    expect(events.length).toBe(sender.acknowledged.size);
    expect(new Set(events.map((e) => e.id))).toEqual(sender.acknowledged);
    expect(events.filter((e) => e.processed_at === null)).toEqual([]);

    // None lost, none run twice, none dead (each allowed one attempt).
    const runs = await sql<{ kind: string; runs: number; jobs: number }>`
      SELECT kind, count(*)::int AS runs, count(DISTINCT job_id)::int AS jobs FROM job_runs
      WHERE kind IN (${TEST_RECORD_KIND}, ${TEST_SLOW_FINISHED}) GROUP BY kind ORDER BY kind`.execute(
      db.kysely,
    );
    expect(runs.rows).toEqual([
      { kind: TEST_RECORD_KIND, runs: 2 * RECORD_JOBS_PER_BATCH, jobs: 2 * RECORD_JOBS_PER_BATCH },
      { kind: TEST_SLOW_FINISHED, runs: SLOW_JOBS, jobs: SLOW_JOBS },
    ]);
    expect(await count(`SELECT count(*) AS n FROM jobs WHERE status = 'dead'`)).toBe(0);
    // The outage did interrupt the slow jobs mid-handler: they started again after it.
    expect(await slowJobStarts()).toBeGreaterThan(SLOW_JOBS);

    // Each process reports an outage as it begins, not on every tick of every loop.
    const outageLines = (p: RolegateProcess) => p.output().split('database unavailable').length - 1;
    for (const p of [serve, worker]) expect(outageLines(p)).toBeLessThanOrEqual(2 * 2);

    const answered = (status: number) => sender.answers.filter((a) => a.status === status);
    console.info(
      `[db-restart] webhook answers: ${answered(200).length}×200, ${answered(503).length}×503; ` +
        `events acknowledged: ${sender.acknowledged.size}; slow job starts: ${await slowJobStarts()} for ${SLOW_JOBS} jobs; ` +
        `"database unavailable" lines: serve ${outageLines(serve)}, worker ${outageLines(worker)}`,
    );
  }, 180_000);
});
