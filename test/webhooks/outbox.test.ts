import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/app/shared/context.js';
import { createGrant } from '../../src/app/grants/grants.js';
import { deliverWebhookAttempt } from '../../src/app/webhooks/deliver.js';
import { defaultDeliveryPolicy } from '../../src/app/webhooks/policy.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver, seedGrantable } from './receiver.js';
import { webhookDeliverJob } from '../../src/app/webhooks/jobs.js';

describeEachBackend('merchant webhooks are an outbox', ({ dialect }) => {
  let t: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp({ dialect, worker: false });
    await t.api('/api/webhook-endpoints', { method: 'POST', body: { url: `${receiver.url}/hook` } });
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });

  const webhookJobs = () =>
    t.app.ctx.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', webhookDeliverJob.kind).execute();

  it('a grant change that rolls back leaves no delivery and no job behind', async () => {
    const seed = await seedGrantable(t.app.ctx.db);
    const ctx = t.app.ctx;
    await expect(
      inTransaction(ctx, async (tx) => {
        await createGrant(ctx, tx, {
          entitlementId: seed.entitlementId,
          customerId: seed.customerId,
          source: 'manual',
          active: true,
          cause: 'test',
        });
        throw new Error('the caller failed after the change');
      }),
    ).rejects.toThrow(/caller failed/);
    expect(await t.app.ctx.db.kysely.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
    expect(await webhookJobs()).toEqual([]);
  });

  it('a committed grant change writes its delivery and first attempt together', async () => {
    const seed = await seedGrantable(t.app.ctx.db);
    const ctx = t.app.ctx;
    await inTransaction(ctx, (tx) =>
      createGrant(ctx, tx, {
        entitlementId: seed.entitlementId,
        customerId: seed.customerId,
        source: 'manual',
        active: true,
        cause: 'test',
      }),
    );
    const deliveries = await t.app.ctx.db.kysely.selectFrom('webhook_deliveries').selectAll().execute();
    expect(deliveries.map((d) => d.event_type)).toEqual(['entitlement_grant.created']);
    const jobs = await webhookJobs();
    expect(jobs.map((j) => JSON.parse(j.payload))).toEqual([
      { deliveryId: deliveries[0]!.id, attempt: 1, step: 0 },
    ]);
  });

  it('re-running an attempt that was already recorded (a crash before the job was marked done) sends nothing', async () => {
    const [job] = await webhookJobs();
    const payload = webhookDeliverJob.schema.parse(JSON.parse(job!.payload));
    await deliverWebhookAttempt(t.app.ctx, payload, defaultDeliveryPolicy);
    await deliverWebhookAttempt(t.app.ctx, payload, defaultDeliveryPolicy);
    expect(receiver.at()).toHaveLength(1);
    const attempts = await t.app.ctx.db.kysely.selectFrom('webhook_attempts').selectAll().execute();
    expect(attempts.map((a) => [a.attempt, a.status_code])).toEqual([[1, 200]]);
  });
});
