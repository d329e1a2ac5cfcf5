import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { z } from 'zod';
import { enqueue } from '../../src/adapters/store/queue.js';
import { defineJob, handle } from '../../src/core/jobs.js';

describeEachBackend('REST API: jobs', ({ dialect }) => {
  let t: TestApp;
  let healthy = false;
  const ran: unknown[] = [];
  beforeAll(async () => {
    t = await startTestApp({
      dialect,
      extraJobs: [
        handle(defineJob('test.flaky', z.object({ n: z.number() })), async (payload) => {
          if (!healthy) throw new Error('the far side is down');
          ran.push(payload);
        }),
      ],
    });
  });
  afterAll(() => t.stop());

  const deadJob = async (n: number) => {
    const ctx = t.app.ctx;
    await enqueue(ctx.db.kysely, ctx.db.dialect, { kind: 'test.flaky', payload: { n }, maxAttempts: 1 });
    ctx.nudge();
    return eventually(async () => {
      const page = await t.api('/api/jobs?status=dead&kind=test.flaky');
      return page.body.data.find((j: { payload: { n: number } }) => j.payload.n === n);
    });
  };

  it('lists a job that failed its last attempt with its error, and counts it', async () => {
    const job = await deadJob(1);
    expect(job).toMatchObject({
      id: expect.stringMatching(/^job_/),
      object: 'job',
      kind: 'test.flaky',
      status: 'dead',
      attempts: 1,
      max_attempts: 1,
      last_error: expect.stringContaining('the far side is down'),
    });
    expect((await t.api(`/api/jobs/${job.id}`)).body).toEqual(job);
    const stats = await t.api('/api/jobs/stats');
    expect(stats.body.dead).toBeGreaterThanOrEqual(1);
    expect(stats.body.by_kind).toContainEqual({ status: 'dead', kind: 'test.flaky', count: 1 });
  });

  it('retries a dead job: it runs again and leaves the dead list', async () => {
    const job = await deadJob(2);
    healthy = true;
    try {
      const res = await t.api(`/api/jobs/${job.id}/retry`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(job.id);
      await eventually(async () => ran.some((p) => (p as { n: number }).n === 2));
      const again = await t.api(`/api/jobs/${job.id}/retry`, { method: 'POST' });
      expect(again.status).toBe(404);
    } finally {
      healthy = false;
    }
  });

  it('retrying a job that is not dead is a 409 and changes nothing', async () => {
    const ctx = t.app.ctx;
    await enqueue(ctx.db.kysely, ctx.db.dialect, {
      kind: 'test.flaky',
      payload: { n: 3 },
      runAt: Date.now() + 3_600_000,
    });
    const queued = await t.api('/api/jobs?status=queued&kind=test.flaky');
    const job = queued.body.data[0];
    const res = await t.api(`/api/jobs/${job.id}/retry`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('invalid_transition');
    expect((await t.api(`/api/jobs/${job.id}`)).body).toEqual(job);
  });

  it('retries every dead job of a kind at once', async () => {
    await deadJob(4);
    await deadJob(5);
    healthy = true;
    try {
      const res = await t.api('/api/jobs/retry-dead', { method: 'POST', body: { kind: 'test.flaky' } });
      expect(res.status).toBe(200);
      expect(res.body.retried).toBeGreaterThanOrEqual(2);
      await eventually(async () => [4, 5].every((n) => ran.some((p) => (p as { n: number }).n === n)));
    } finally {
      healthy = false;
    }
  });

  it('pages newest first and refuses bad input with a 4xx', async () => {
    const ctx = t.app.ctx;
    for (const n of [6, 7])
      await enqueue(ctx.db.kysely, ctx.db.dialect, {
        kind: 'test.later',
        payload: { n },
        runAt: Date.now() + 3_600_000,
      });
    const page1 = await t.api('/api/jobs?limit=1');
    expect(page1.body.data).toHaveLength(1);
    const page2 = await t.api(`/api/jobs?limit=1&cursor=${page1.body.next_cursor}`);
    expect(page2.body.data[0].id < page1.body.data[0].id).toBe(true);
    expect((await t.api('/api/jobs?status=done')).status).toBe(400);
    expect((await t.api('/api/jobs?sort=asc')).status).toBe(400);
    expect((await t.api('/api/jobs?cursor=xyz')).body.error.code).toBe('invalid_cursor');
    expect((await t.api('/api/jobs/job_0000000000aaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await t.api('/api/jobs/grt_0000000000aaaaaaaaaaaaaaaa/retry', { method: 'POST' })).status).toBe(
      404,
    );
    const extra = await t.api('/api/jobs/retry-dead', { method: 'POST', body: { all: true } });
    expect(extra.status).toBe(400);
  });
});
