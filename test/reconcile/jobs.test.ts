import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { inTransaction } from '../../src/app/shared/context.js';
import { applyGrantEvent } from '../../src/app/grants/grants.js';
import { sweepExpiredGrants } from '../../src/app/grants/expiry.js';
import type { MailMessage } from '../../src/core/ports/index.js';
import { queueReconcileAll } from '../../src/app/access/reconcile-jobs.js';
import { accessPeriodicTasks } from '../../src/app/access/job-handlers.js';
import { enqueuePaymentFailedReminder, sweepReminders } from '../../src/app/buyer/reminders.js';
import { pauseServer } from '../../src/app/access/servers.js';
import { periodicTasks } from '../../src/main/job-handlers.js';
import { claimPeriod } from '../../src/jobs/scheduler.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { buyer, drain, entitlement, grant, newShop, startWorld, type World } from './world.js';
import { reconcileAllTask, reconcileServerJob } from '../../src/app/access/jobs.js';
import { accessEndingJob, paymentFailedJob, remindersSweepTask } from '../../src/app/buyer/jobs.js';

const pgReason = await postgresUnavailable();
const DAY = 86_400_000;

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`scheduled reconcile, expiry and reminders [${dialect}]`, () => {
    let w: World;
    const mails: MailMessage[] = [];
    beforeAll(async () => {
      w = await startWorld(dialect, {
        env: { RECONCILE_INTERVAL_MINUTES: '5' },
        mail: { send: async (m) => void mails.push(m) },
      });
    });
    afterAll(async () => {
      await w.stop();
    });
    const queued = (kind: string) =>
      w.ctx.db.kysely
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', kind)
        .where('status', '=', 'queued')
        .execute();

    it('reconciles every server every RECONCILE_INTERVAL_MINUTES, once per period across instances', async () => {
      const task = accessPeriodicTasks(w.ctx).find((t) => t.name === reconcileAllTask.kind);
      expect(task?.everyMs).toBe(5 * 60_000);
      expect(periodicTasks(w.ctx).map((t) => t.name)).toEqual(
        expect.arrayContaining([reconcileAllTask.kind, remindersSweepTask.kind]),
      );
      const at = Date.now();
      // Two instances race for the same period: one wins.
      const wins = await Promise.all([claimPeriod(w.ctx.db, task!, at), claimPeriod(w.ctx.db, task!, at)]);
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await queued(reconcileAllTask.kind)).toHaveLength(1);
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
    });

    it('queues one reconcile job per active or paused server, deduplicated per server', async () => {
      const a = await newShop(w);
      const b = await newShop(w);
      await pauseServer(w.ctx.db.kysely, b.serverId, 'test', Date.now());
      await queueReconcileAll(w.ctx);
      await queueReconcileAll(w.ctx);
      const jobs = await queued(reconcileServerJob.kind);
      const ids = jobs.map((j) => (JSON.parse(j.payload) as { serverId: string }).serverId);
      expect(ids).toEqual(expect.arrayContaining([a.serverId, b.serverId]));
      expect(new Set(ids).size).toBe(ids.length);
      // Running them repairs drift and heals the paused server.
      w.discord.resetCounters();
      await drain(w);
      const server = await w.ctx.db.kysely
        .selectFrom('servers')
        .select('status')
        .where('id', '=', b.serverId)
        .executeTakeFirstOrThrow();
      expect(server.status).toBe('active');
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
    });

    it('ends an N-day grant at its end time, and the sweep catches one whose expiry job was lost', async () => {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? '']);
      const b = await buyer(w, shop);
      const g1 = await grant(w, ent, b.customerId);
      await drain(w);
      expect(w.discord.getMember(shop.guildId, b.userId)?.roles).toEqual([shop.roles[0]]);
      // The period ends: the per-grant expiry job (queued with the new end) revokes it.
      await inTransaction(w.ctx, (tx) =>
        applyGrantEvent(w.ctx, tx, g1, 'extend', { cause: 'test', endsAt: Date.now() - 1 }),
      );
      expect((await queued('grant.expire')).some((j) => j.payload.includes(g1))).toBe(true);
      await drain(w);
      const row = await w.ctx.db.kysely
        .selectFrom('grants')
        .select('status')
        .where('id', '=', g1)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('revoked');
      expect(w.discord.getMember(shop.guildId, b.userId)?.roles).toEqual([]);
      // Lost job: the sweep revokes it.
      const g2 = await grant(w, ent, b.customerId);
      await inTransaction(w.ctx, (tx) =>
        applyGrantEvent(w.ctx, tx, g2, 'extend', { cause: 'test', endsAt: Date.now() - 1 }),
      );
      await w.ctx.db.kysely.deleteFrom('jobs').where('kind', '=', 'grant.expire').execute();
      expect(await sweepExpiredGrants(w.ctx)).toBeGreaterThanOrEqual(1);
      const row2 = await w.ctx.db.kysely
        .selectFrom('grants')
        .select('status')
        .where('id', '=', g2)
        .executeTakeFirstOrThrow();
      expect(row2.status).toBe('revoked');
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
    });

    it('sends "access ending in 3 days" once per grant and period end, and again after a renewal', async () => {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? '']);
      const b = await buyer(w, shop, true, 'pass@example.com');
      const g = await grant(w, ent, b.customerId);
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
      const end = Date.now() + 2 * DAY;
      await w.ctx.db.kysely.updateTable('grants').set({ ends_at: end }).where('id', '=', g).execute();
      mails.length = 0;
      await sweepReminders(w.ctx);
      await sweepReminders(w.ctx); // the hourly sweep runs again before the job
      expect(await queued(accessEndingJob.kind)).toHaveLength(1);
      await drain(w);
      await sweepReminders(w.ctx); // and after: nothing new
      await drain(w);
      expect(mails.map((m) => [m.to, m.subject])).toEqual([
        ['pass@example.com', `Your access to E ${shop.roles[0]} ends in 3 days`],
      ]);
      // A renewal moves the end: the next period gets its own reminder.
      await w.ctx.db.kysely
        .updateTable('grants')
        .set({ ends_at: end + DAY })
        .where('id', '=', g)
        .execute();
      await sweepReminders(w.ctx);
      await drain(w);
      expect(mails).toHaveLength(2);
      // Far from its end: no reminder.
      await w.ctx.db.kysely
        .updateTable('grants')
        .set({ ends_at: Date.now() + 30 * DAY })
        .where('id', '=', g)
        .execute();
      expect(await sweepReminders(w.ctx)).toBe(0);
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
    });

    it('sends the payment-failed email once per grace period however often it is queued', async () => {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? '']);
      const b = await buyer(w, shop, true, 'sub@example.com');
      const g = await grant(w, ent, b.customerId);
      const grace = Date.now() + 3 * DAY;
      await w.ctx.db.kysely.updateTable('grants').set({ grace_ends_at: grace }).where('id', '=', g).execute();
      mails.length = 0;
      for (let i = 0; i < 3; i++) {
        await inTransaction(w.ctx, (tx) => enqueuePaymentFailedReminder(tx, { id: g, grace_ends_at: grace }));
        await drain(w);
      }
      expect(mails.map((m) => m.subject)).toEqual([`Payment failed for E ${shop.roles[0]}`]);
      expect(mails[0]?.text).toContain('stays until');
      expect(await queued(paymentFailedJob.kind)).toEqual([]);
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
    });

    it('gives the reminder claim back when sending fails, so the retry sends it', async () => {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? '']);
      const b = await buyer(w, shop, true, 'flaky@example.com');
      const g = await grant(w, ent, b.customerId);
      await w.ctx.db.kysely.deleteFrom('jobs').execute();
      await w.ctx.db.kysely
        .updateTable('grants')
        .set({ ends_at: Date.now() + DAY })
        .where('id', '=', g)
        .execute();
      const send = w.ctx.ports.mail.send.bind(w.ctx.ports.mail);
      let failures = 1;
      w.ctx.ports.mail = {
        send: async (m) => {
          if (failures-- > 0) throw new Error('SMTP down');
          await send(m);
        },
      };
      mails.length = 0;
      await sweepReminders(w.ctx);
      await drain(w);
      expect(mails.map((m) => m.to)).toEqual(['flaky@example.com']);
      w.ctx.ports.mail = { send };
    });
  });
}
