import { expect, it } from 'vitest';
import { reconcileStripe } from '../../src/app/billing/stripe-reconcile.js';
import { buy, eachBackend, grantRow, seedOffer, settle, type StripeWorld } from './harness.js';

const firstPayment = async (w: StripeWorld, grantId: string) =>
  (JSON.parse((await grantRow(w, grantId)).stripe_payment_intents) as string[])[0]!;

await eachBackend('refund and dispute lifecycle', (world) => {
  it('charge.refunded in full revokes a one-time purchase', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId } = await buy(w, entitlementId);
    w.ls.simulator.refund(await firstPayment(w, grantId));
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'refunded',
    });
  });

  it('a partial refund keeps access when the policy is keep', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime', partialRefundPolicy: 'keep' });
    const { grantId } = await buy(w, entitlementId);
    w.ls.simulator.refund(await firstPayment(w, grantId), { amount: 300 });
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1 });
  });

  it('a partial refund revokes when the policy is revoke', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime', partialRefundPolicy: 'revoke' });
    const { grantId } = await buy(w, entitlementId);
    w.ls.simulator.refund(await firstPayment(w, grantId), { amount: 300 });
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'partially_refunded',
    });
  });

  it('a full refund of a subscription renewal revokes its grant (mapped through the invoice payment)', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.renew(subscriptionId!);
    await settle(w);
    const intents = JSON.parse((await grantRow(w, grantId)).stripe_payment_intents) as string[];
    w.ls.simulator.refund(intents[1]!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 0, status: 'revoked' });
  });

  it('charge.dispute.created revokes under the revoke policy; a lost dispute stays revoked', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, {
      access: 'lifetime',
      disputePolicy: 'revoke',
      restoreOnDisputeWon: false,
    });
    const { grantId } = await buy(w, entitlementId);
    const dispute = w.ls.simulator.openDispute(await firstPayment(w, grantId));
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'dispute',
    });
    w.ls.simulator.closeDispute(dispute.id, 'lost');
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ status: 'revoked' });
  });

  it('charge.dispute.created suspends under the suspend policy and a won dispute restores', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { disputePolicy: 'suspend', restoreOnDisputeWon: true });
    const { grantId } = await buy(w, entitlementId);
    const dispute = w.ls.simulator.openDispute(await firstPayment(w, grantId));
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'suspended',
      status_reason: 'dispute',
    });
    w.ls.simulator.closeDispute(dispute.id, 'won');
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1 });
  });

  it('a lost dispute under the suspend policy revokes', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime', disputePolicy: 'suspend' });
    const { grantId } = await buy(w, entitlementId);
    const dispute = w.ls.simulator.openDispute(await firstPayment(w, grantId));
    w.ls.simulator.closeDispute(dispute.id, 'lost');
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'dispute_lost',
    });
  });

  it('a won dispute after a revoke issues one new live grant when the policy restores', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, {
      access: 'lifetime',
      disputePolicy: 'revoke',
      restoreOnDisputeWon: true,
    });
    const { grantId } = await buy(w, entitlementId);
    const dispute = w.ls.simulator.openDispute(await firstPayment(w, grantId));
    await settle(w);
    w.ls.simulator.closeDispute(dispute.id, 'won');
    await settle(w);
    const old = await grantRow(w, grantId);
    expect(old.status_reason).toMatch(/^dispute_won_reissued:grt_/);
    const fresh = await grantRow(w, old.status_reason!.split(':')[1]!);
    expect(fresh).toMatchObject({ active: 1, entitlement_id: entitlementId, customer_id: old.customer_id });
  });

  it('a duplicated event has one effect: one inbox row and one merchant webhook', async () => {
    const w = world();
    const db = w.t.app.ctx.db.kysely;
    const now = Date.now();
    await db
      .insertInto('webhook_endpoints')
      .values({
        id: `whe_dup${now}`,
        url: 'http://127.0.0.1:9/hook',
        description: '',
        secret_enc: w.t.app.ctx.secrets.encrypt('whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0'),
        event_types: JSON.stringify(['entitlement_grant.revoked']),
        enabled: 1,
        disabled_reason: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId } = await buy(w, entitlementId);
    w.ls.delivery.set({ duplicate: true, reorder: true });
    try {
      w.ls.simulator.refund(await firstPayment(w, grantId));
      await settle(w);
    } finally {
      w.ls.delivery.reset();
    }
    const refundEvents = w.ls.events().filter((e) => e.type === 'charge.refunded');
    const last = refundEvents[refundEvents.length - 1]!;
    expect(w.ls.deliveryAttempts(last.id).filter((a) => a.ok).length).toBeGreaterThanOrEqual(2);
    const stored = await db
      .selectFrom('inbox_events')
      .select(['id', 'outcome', 'error', 'processed_at'])
      .where('id', '=', last.id)
      .execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ outcome: 'applied', error: null, processed_at: expect.any(Number) });
    const revoked = await db
      .selectFrom('webhook_deliveries')
      .select('payload')
      .where('event_type', '=', 'entitlement_grant.revoked')
      .execute();
    expect(revoked.filter((d) => d.payload.includes(grantId))).toHaveLength(1);
    await db.updateTable('webhook_endpoints').set({ enabled: 0 }).where('id', '=', `whe_dup${now}`).execute();
  });

  it('reconcile repairs access after webhooks were lost, and feeds undelivered events into the inbox', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    // Every delivery of what follows is lost.
    w.ls.delivery.set({ dropThenRedeliver: true, maxAttempts: 1 });
    try {
      w.ls.simulator.cancelNow(subscriptionId!);
      await w.ls.flushDeliveries();
    } finally {
      w.ls.delivery.reset();
    }
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1 });
    const report = await reconcileStripe(w.t.app.ctx);
    expect(report.errors).toEqual([]);
    expect(report.newEvents).toBeGreaterThan(0);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 0, status: 'revoked' });
    const deleted = w.ls
      .events()
      .filter((e) => e.type === 'customer.subscription.deleted')
      .pop()!;
    const row = await w.t.app.ctx.db.kysely
      .selectFrom('inbox_events')
      .select('id')
      .where('id', '=', deleted.id)
      .executeTakeFirst();
    expect(row?.id).toBe(deleted.id);
    await settle(w);
  });
});
