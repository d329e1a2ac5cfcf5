import { expect, it } from 'vitest';
import { eventually } from '../helpers/app.js';
import { buy, eachBackend, grantRow, seedOffer, settle, type StripeWorld } from './harness.js';

// A revoke that Stripe's money caused (refund, dispute) stops the subscription too (decision 0023).

const payments = async (w: StripeWorld, grantId: string) =>
  JSON.parse((await grantRow(w, grantId)).stripe_payment_intents) as string[];

async function billingSettled(w: StripeWorld, grantId: string) {
  await eventually(
    async () => (await grantRow(w, grantId)).revoke_billing_status === 'done',
    15_000,
    'the billing change of the revoke',
  );
  await settle(w);
}

const subscription = (w: StripeWorld, id: string) => w.t.app.ctx.ports.stripe!.retrieveSubscription(id);

await eachBackend('a refund or dispute that revokes a subscription grant stops its billing', (world) => {
  it('a full refund of a renewal revokes the grant and cancels the subscription at once', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.renew(subscriptionId!);
    await settle(w);
    w.ls.simulator.refund((await payments(w, grantId))[1]!);
    await settle(w);
    await billingSettled(w, grantId);

    expect(await subscription(w, subscriptionId!)).toMatchObject({ status: 'canceled' });
    const shown = await w.t.api(`/api/grants/${grantId}`);
    expect(shown.body).toMatchObject({
      status: 'revoked',
      status_reason: 'refunded',
      revoke_billing: 'cancel_now',
      revoke_billing_status: 'done',
      stripe_status: 'canceled',
    });
    expect(shown.body.sync_log).toContainEqual(
      expect.objectContaining({
        action: 'billing',
        outcome: 'ok',
        message: expect.stringMatching(/canceled now/),
        cause: `grant:${grantId}`,
      }),
    );
  });

  it('a lost dispute cancels the subscription at once', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { disputePolicy: 'suspend' });
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    const dispute = w.ls.simulator.openDispute((await payments(w, grantId))[0]!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({ status: 'suspended', revoke_billing: null });
    w.ls.simulator.closeDispute(dispute.id, 'lost');
    await settle(w);
    await billingSettled(w, grantId);
    expect(await grantRow(w, grantId)).toMatchObject({
      status: 'revoked',
      status_reason: 'dispute_lost',
      revoke_billing: 'cancel_now',
      stripe_status: 'canceled',
    });
    expect(await subscription(w, subscriptionId!)).toMatchObject({ status: 'canceled' });
  });

  it('a dispute that revokes without restore on a win cancels at once', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { disputePolicy: 'revoke', restoreOnDisputeWon: false });
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.simulator.openDispute((await payments(w, grantId))[0]!);
    await settle(w);
    await billingSettled(w, grantId);
    expect(await grantRow(w, grantId)).toMatchObject({ status: 'revoked', revoke_billing: 'cancel_now' });
    expect(await subscription(w, subscriptionId!)).toMatchObject({ status: 'canceled' });
  });

  it('a dispute that revokes with restore on a win stops renewals only, so a win gives back the period paid', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { disputePolicy: 'revoke', restoreOnDisputeWon: true });
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    const dispute = w.ls.simulator.openDispute((await payments(w, grantId))[0]!);
    await settle(w);
    await billingSettled(w, grantId);
    const sub = await subscription(w, subscriptionId!);
    expect(sub).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(await grantRow(w, grantId)).toMatchObject({
      status: 'revoked',
      revoke_billing: 'cancel_at_period_end',
      stripe_cancel_at: sub.currentPeriodEnd,
    });

    w.ls.simulator.closeDispute(dispute.id, 'won');
    await settle(w);
    const old = await grantRow(w, grantId);
    const fresh = await grantRow(w, old.status_reason!.split(':')[1]!);
    expect(fresh).toMatchObject({ active: 1, stripe_subscription_id: subscriptionId });

    // The period paid runs out: no renewal charge, and the reissued grant ends with it.
    w.ls.clock.advance(sub.currentPeriodEnd! - w.ls.clock.now() + 1000);
    await settle(w);
    expect(await subscription(w, subscriptionId!)).toMatchObject({ status: 'canceled' });
    const paid = w.ls
      .events()
      .filter((e) => e.type === 'invoice.paid' && JSON.stringify(e.data.object).includes(subscriptionId!));
    expect(paid).toHaveLength(1);
    expect(await grantRow(w, fresh.id)).toMatchObject({
      active: 0,
      status: 'revoked',
      status_reason: 'subscription_canceled',
    });
  });

  it('a refund of a one-time purchase touches no billing', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
    const { grantId } = await buy(w, entitlementId);
    w.ls.simulator.refund((await payments(w, grantId))[0]!);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      status: 'revoked',
      revoke_billing: null,
      revoke_billing_status: null,
    });
  });
});
