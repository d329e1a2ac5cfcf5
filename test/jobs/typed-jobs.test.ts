import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { enqueue } from '../../src/adapters/store/queue.js';
import { memberSyncJob } from '../../src/app/access/jobs.js';
import { inTransaction, type Tx } from '../../src/app/shared/context.js';
import { defineJob, handle } from '../../src/core/jobs.js';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

/** A test-only kind: its payload schema wants a number `n`. */
const countJob = defineJob('test.typed_count', z.object({ n: z.number().int() }));

/** Type checks only (tsc runs over test/): `enqueue` accepts exactly the declared payload type. */
export function enqueueTypes(tx: Tx) {
  void tx.enqueue(countJob, { n: 1 });
  void tx.enqueue(memberSyncJob, { serverId: 's', userId: 'u', cause: 'c', verify: true });
  // @ts-expect-error `n` must be a number
  void tx.enqueue(countJob, { n: 'one' });
  // @ts-expect-error `cause` is missing
  void tx.enqueue(memberSyncJob, { serverId: 's', userId: 'u' });
  // @ts-expect-error `observedRoles` holds role ids (strings)
  void tx.enqueue(memberSyncJob, { serverId: 's', userId: 'u', cause: 'c', observedRoles: [1] });
}

describeEachBackend('typed jobs', ({ dialect }) => {
  let t: TestApp;
  const ran: number[] = [];
  beforeAll(async () => {
    t = await startTestApp({
      dialect,
      extraJobs: [
        handle(countJob, async ({ n }) => {
          ran.push(n);
        }),
      ],
    });
  });
  afterAll(() => t.stop());

  const job = (id: string) =>
    t.app.ctx.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

  it('runs a job enqueued with its declared payload, handing the handler the parsed payload', async () => {
    await inTransaction(t.app.ctx, (tx) => tx.enqueue(countJob, { n: 7 }));
    await eventually(async () => ran.includes(7));
  });

  it('a stored payload its schema refuses ends dead at once with the reason; the handler never runs', async () => {
    const ctx = t.app.ctx;
    // Rows as an older release or a hand-edited database could hold them: written below the typed door.
    await enqueue(ctx.db.kysely, ctx.db.dialect, { kind: countJob.kind, payload: { n: 'eight' } });
    await enqueue(ctx.db.kysely, ctx.db.dialect, { kind: memberSyncJob.kind, payload: { serverId: 's' } });
    ctx.nudge();
    const dead = await eventually(async () => {
      const rows = await ctx.db.kysely
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'dead')
        .orderBy('kind')
        .execute();
      return rows.length === 2 ? rows : undefined;
    });
    const [sync, count] = dead;
    expect(count).toMatchObject({ kind: 'test.typed_count', attempts: 1, max_attempts: 12 });
    expect(count!.last_error).toContain('invalid test.typed_count payload');
    expect(count!.last_error).toMatch(/expected number.*\n?.*→ at n/);
    expect(sync).toMatchObject({ kind: 'member.sync', attempts: 1 });
    expect(sync!.last_error).toContain('invalid member.sync payload');
    expect(sync!.last_error).toContain('at userId');
    expect(sync!.last_error).toContain('at cause');
    expect(ran).not.toContain('eight');
    expect(await job(sync!.id)).toMatchObject({ status: 'dead' });
  });
});
