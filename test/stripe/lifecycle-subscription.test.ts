import { expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/clock.js';
import { checkGrace } from '../../src/app/billing/lifecycle.js';
import { buy, eachBackend, grantRow, seedOffer, settle } from './harness.js';
import { stripeGraceCheckJob } from '../../src/app/billing/jobs.js';

await eachBackend('subscription lifecycle', (world) => {
  it('customer.subscription.created links the subscription and gives access', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    expect(subscriptionId).toMatch(/^sub_/);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 1,
      status: 'pending',
      stripe_status: 'active',
      ends_at: null,
    });
  });

  it('a trial gives access at once while the subscription is trialing', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { trialDays: 7 });
    const { grantId } = await buy(w, entitlementId);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1, stripe_status: 'trialing' });
  });

  it('invoice.paid on renewal keeps access and records the renewal payment intent', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.renew(subscriptionId!);
    await settle(w);
    const g = await grantRow(w, grantId);
    expect(g).toMatchObject({ active: 1, stripe_status: 'active' });
    expect(JSON.parse(g.stripe_payment_intents)).toHaveLength(2);
  });

  it('invoice.payment_failed keeps access through the grace period and schedules its end', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { graceDays: 3 });
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    const before = Date.now();
    w.ls.simulator.failPayment(subscriptionId!);
    await settle(w);
    const g = await grantRow(w, grantId);
    expect(g).toMatchObject({ active: 1, stripe_status: 'past_due' });
    expect(g.grace_ends_at).toBeGreaterThanOrEqual(before + 3 * DAY_MS);
    const job = await w.t.app.ctx.db.kysely
      .selectFrom('jobs')
      .select('run_at')
      .where('kind', '=', stripeGraceCheckJob.kind)
      .where('payload', 'like', `%${grantId}%`)
      .executeTakeFirst();
    expect(job?.run_at).toBe(g.grace_ends_at);
  });

  it('past_due after the grace period suspends the grant', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { graceDays: 3 });
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.failPayment(subscriptionId!);
    await settle(w);
    // Time passes: the grace period is over when the scheduled check runs.
    await w.t.app.ctx.db.kysely
      .updateTable('grants')
      .set({ grace_ends_at: Date.now() - 1 })
      .where('id', '=', grantId)
      .execute();
    await checkGrace(w.t.app.ctx, { grantId });
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'suspended',
      status_reason: 'grace_expired',
    });
  });

  it('paying the open invoice after past_due restores access and clears the grace period', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { graceDays: 0 });
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.failPayment(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 0, status: 'suspended' });
    w.ls.simulator.recoverPayment(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 1,
      stripe_status: 'active',
      grace_ends_at: null,
    });
  });

  it('past_due → unpaid suspends, and paying restores', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.failPayment(subscriptionId!);
    w.ls.simulator.markUnpaid(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'suspended',
      stripe_status: 'unpaid',
    });
    w.ls.simulator.recoverPayment(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1, stripe_status: 'active' });
  });

  it('past_due → canceled after failed retries revokes', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.failPayment(subscriptionId!);
    w.ls.simulator.cancelAfterFailures(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 0, status: 'revoked' });
  });

  it('customer.subscription.paused suspends and .resumed restores', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.pause(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'suspended',
      stripe_status: 'paused',
    });
    w.ls.simulator.resume(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1, stripe_status: 'active' });
  });

  it('cancel at period end keeps access until the subscription is deleted at the end', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.cancelAtPeriodEnd(subscriptionId!, true);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ active: 1, stripe_status: 'active' });
    w.ls.clock.advance(32 * DAY_MS);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      stripe_status: 'canceled',
    });
  });

  it('customer.subscription.deleted revokes', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.cancelNow(subscriptionId!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'subscription_canceled',
    });
  });

  it('a plan change moves the grant to the entitlement of the new price', async () => {
    const w = world();
    const basic = await seedOffer(w);
    const pro = await seedOffer(w, { amount: 3000 });
    const { grantId, subscriptionId } = await buy(w, basic.entitlementId);
    // Pro's Stripe price exists once someone could buy it.
    const { ensureStripePrice } = await import('../../src/app/catalog/prices.js');
    const proStripePrice = await ensureStripePrice(w.t.app.ctx, pro.priceId);
    w.ls.simulator.changePlan(subscriptionId!, proStripePrice);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      active: 1,
      entitlement_id: pro.entitlementId,
      price_id: pro.priceId,
    });
  });
});
