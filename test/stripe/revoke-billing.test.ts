import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRevokeBilling } from '../../src/app/billing/revoke.js';
import { eventually } from '../helpers/app.js';
import { Receiver } from '../webhooks/receiver.js';
import { buy, eachBackend, grantRow, seedOffer, settle, startCheckout, type StripeWorld } from './harness.js';

/** The merchant webhooks written for one grant, oldest first: [type, data]. */
async function webhooksFor(w: StripeWorld, grantId: string) {
  const rows = await w.t.app.ctx.db.kysely
    .selectFrom('webhook_deliveries')
    .select(['event_type', 'payload'])
    .where('payload', 'like', `%${grantId}%`)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    type: r.event_type,
    data: (JSON.parse(r.payload) as { data: Record<string, unknown> }).data,
  }));
}

const revoke = (w: StripeWorld, grantId: string, body: unknown) =>
  w.t.api(`/api/grants/${grantId}/revoke`, { method: 'POST', body });

async function billingSettled(w: StripeWorld, grantId: string) {
  await eventually(
    async () => (await grantRow(w, grantId)).revoke_billing_status !== 'pending',
    15_000,
    'the billing change of the revoke',
  );
  await settle(w);
}

/** Stripe events about one subscription, by type. */
const stripeEvents = (w: StripeWorld, subscriptionId: string, type: string) =>
  w.ls.events().filter((e) => e.type === type && JSON.stringify(e.data.object).includes(subscriptionId));

await eachBackend('revoking a grant decides its Stripe billing', (world) => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    const res = await world().t.api('/api/webhook-endpoints', {
      method: 'POST',
      body: { url: `${receiver.url}/hook` },
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => receiver.stop());

  it('by default cancels the subscription at once, without proration or refund, and says so on the grant', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    const invoicesBefore = w.ls.events().filter((e) => e.type === 'invoice.created').length;

    const res = await revoke(w, grantId, { reason: 'left the community' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'revoked',
      status_reason: 'left the community',
      revoke_billing: 'cancel_now',
      revoke_billing_status: 'pending',
    });
    await billingSettled(w, grantId);

    const sub = await w.t.app.ctx.ports.stripe!.retrieveSubscription(subscriptionId!);
    expect(sub.status).toBe('canceled');
    const deleted = stripeEvents(w, subscriptionId!, 'customer.subscription.deleted');
    expect(deleted.map((e) => e.request?.idempotency_key)).toEqual([`revoke-billing:${grantId}:cancel_now`]);
    // No final invoice, no credit note, no refund: money already taken stays with the merchant.
    expect(w.ls.events().filter((e) => e.type === 'invoice.created')).toHaveLength(invoicesBefore);
    expect(w.ls.events().filter((e) => e.type.startsWith('charge.refund'))).toEqual([]);

    const shown = await w.t.api(`/api/grants/${grantId}`);
    expect(shown.body).toMatchObject({
      status: 'revoked',
      revoke_billing: 'cancel_now',
      revoke_billing_status: 'done',
      revoke_billing_error: null,
      stripe_status: 'canceled',
      stripe_cancel_at: expect.any(String),
    });
    expect(shown.body.sync_log).toContainEqual(
      expect.objectContaining({
        action: 'billing',
        outcome: 'ok',
        message: expect.stringMatching(/canceled now, without proration or refund/),
        cause: expect.stringMatching(/^person:key_/),
      }),
    );
    // The subscription's own `deleted` webhook neither revokes a second time nor brings it back.
    const hooks = await webhooksFor(w, grantId);
    expect(hooks.map((h) => h.type)).toEqual([
      'entitlement_grant.created',
      'entitlement_grant.revoked',
      'entitlement_grant.updated',
    ]);
    expect(hooks[1]!.data).toMatchObject({ revoke_billing: 'cancel_now', revoke_billing_status: 'pending' });
    expect(hooks[2]!.data).toMatchObject({ revoke_billing_status: 'done', stripe_status: 'canceled' });
  });

  it('cancel_at_period_end stops renewals but lets the paid period run out; the end changes nothing more', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);

    const res = await revoke(w, grantId, { billing: 'cancel_at_period_end' });
    expect(res.body).toMatchObject({ status: 'revoked', revoke_billing: 'cancel_at_period_end' });
    await billingSettled(w, grantId);
    const sub = await w.t.app.ctx.ports.stripe!.retrieveSubscription(subscriptionId!);
    expect(sub).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(await grantRow(w, grantId)).toMatchObject({
      status: 'revoked',
      revoke_billing_status: 'done',
      stripe_status: 'active',
      stripe_cancel_at: sub.currentPeriodEnd,
    });

    // The period ends: Stripe cancels instead of renewing, and tells us twice over.
    w.ls.clock.advance(sub.currentPeriodEnd! - w.ls.clock.now() + 1000);
    await settle(w);
    expect(stripeEvents(w, subscriptionId!, 'invoice.paid')).toHaveLength(1);
    expect(await grantRow(w, grantId)).toMatchObject({
      status: 'revoked',
      active: 0,
      stripe_status: 'canceled',
    });
    const types = (await webhooksFor(w, grantId)).map((h) => h.type);
    expect(types.filter((t) => t === 'entitlement_grant.revoked')).toHaveLength(1);
    expect(types.filter((t) => t === 'entitlement_grant.created')).toHaveLength(1);
  });

  it('keep_billing leaves Stripe alone: the subscription renews and the grant stays revoked', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);

    const res = await revoke(w, grantId, { billing: 'keep_billing' });
    expect(res.body).toMatchObject({ revoke_billing: 'keep_billing', revoke_billing_status: 'done' });
    const queued = await w.t.app.ctx.db.kysely
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'grant.revoke_billing')
      .where('payload', 'like', `%${grantId}%`)
      .execute();
    expect(queued).toEqual([]);
    w.ls.simulator.renew(subscriptionId!);
    await settle(w);
    const shown = await w.t.api(`/api/grants/${grantId}`);
    expect(shown.body).toMatchObject({ status: 'revoked', active: false, stripe_status: 'active' });
    expect(shown.body.sync_log).toContainEqual(
      expect.objectContaining({ action: 'billing', outcome: 'skipped', discord_user_id: null }),
    );
    expect(stripeEvents(w, subscriptionId!, 'customer.subscription.deleted')).toEqual([]);
    expect((await webhooksFor(w, grantId)).map((h) => h.type)).toEqual([
      'entitlement_grant.created',
      'entitlement_grant.revoked',
    ]);
  });

  it('a Stripe failure is retried by the job, with the same idempotency key, until the cancel goes through', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    w.ls.failNext('DELETE', new RegExp(`/v1/subscriptions/${subscriptionId}$`), { times: 2 });

    expect((await revoke(w, grantId, {})).status).toBe(200);
    await billingSettled(w, grantId);
    expect(await grantRow(w, grantId)).toMatchObject({
      revoke_billing_status: 'done',
      revoke_billing_error: null,
      stripe_status: 'canceled',
    });
    const deleted = stripeEvents(w, subscriptionId!, 'customer.subscription.deleted');
    expect(deleted.map((e) => e.request?.idempotency_key)).toEqual([`revoke-billing:${grantId}:cancel_now`]);
  });

  it('when the last attempt fails the grant says so; a retried job later finishes the cancel', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, subscriptionId } = await buy(w, entitlementId);
    // The state a revoke leaves, without its queued job: this test runs the job's attempts itself.
    await w.t.app.ctx.db.kysely
      .updateTable('grants')
      .set({ status: 'revoked', active: 0, revoke_billing: 'cancel_now', revoke_billing_status: 'pending' })
      .where('id', '=', grantId)
      .execute();
    w.ls.failNext('DELETE', new RegExp(`/v1/subscriptions/${subscriptionId}$`), { times: 2 });
    const payload = { grantId, cause: 'test' };

    await expect(runRevokeBilling(w.t.app.ctx, payload, { final: false })).rejects.toThrow(/Injected/);
    expect(await grantRow(w, grantId)).toMatchObject({
      revoke_billing_status: 'pending',
      revoke_billing_error: expect.stringMatching(/Injected failure \(500\)/),
    });
    await expect(runRevokeBilling(w.t.app.ctx, payload, { final: true })).rejects.toThrow(/Injected/);
    const failed = await w.t.api(`/api/grants/${grantId}`);
    expect(failed.body).toMatchObject({ revoke_billing_status: 'failed', stripe_status: 'active' });
    expect(failed.body.sync_log[0]).toMatchObject({
      action: 'billing',
      outcome: 'failed',
      error_owner: 'retry',
      message: expect.stringMatching(/by hand in the Stripe Dashboard/),
    });

    await runRevokeBilling(w.t.app.ctx, payload);
    await settle(w);
    expect(await grantRow(w, grantId)).toMatchObject({
      revoke_billing_status: 'done',
      revoke_billing_error: null,
      stripe_status: 'canceled',
    });
  });

  it('revoking an unpaid checkout expires it, so the buyer cannot pay for what was revoked', async () => {
    const w = world();
    const { entitlementId } = await seedOffer(w);
    const { grantId, sessionId } = await startCheckout(w, entitlementId);

    const res = await revoke(w, grantId, {});
    expect(res.body).toMatchObject({ revoke_billing: 'cancel_now', revoke_billing_status: 'pending' });
    await billingSettled(w, grantId);
    const session = await w.t.app.ctx.ports.stripe!.retrieveCheckoutSession(sessionId);
    expect(session.status).toBe('expired');
    expect(() => w.ls.completeCheckout(sessionId, { outcome: 'paid' })).toThrow();
    expect(await grantRow(w, grantId)).toMatchObject({ status: 'revoked', revoke_billing_status: 'done' });
    // It never conferred access, so the merchant never heard of it.
    expect(await webhooksFor(w, grantId)).toEqual([]);
  });

  it.each([
    ['keep_billing', 422, 'unprocessable'],
    ['cancel_at_period_end', 422, 'unprocessable'],
    ['refund', 400, 'validation_failed'],
  ])(
    'a grant Stripe does not bill refuses billing "%s" (%i) and stays as it was',
    async (billing, status, code) => {
      const w = world();
      const { entitlementId } = await seedOffer(w, { access: 'lifetime' });
      const g = await w.t.api('/api/grants', {
        method: 'POST',
        body: { entitlement_id: entitlementId, email: 'comp@example.com', source: 'comp' },
      });
      const res = await revoke(w, g.body.id, { billing });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(await grantRow(w, g.body.id)).toMatchObject({
        status: 'pending',
        active: 1,
        revoke_billing: null,
      });

      const plain = await revoke(w, g.body.id, { billing: 'cancel_now' });
      expect(plain.status).toBe(200);
      expect(plain.body).toMatchObject({
        status: 'revoked',
        revoke_billing: null,
        revoke_billing_status: null,
      });
    },
  );
});
