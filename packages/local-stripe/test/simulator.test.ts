import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxActionError } from '../src/index.js';
import {
  monthlyPrice,
  oneTimePrice,
  paidSubscription,
  startHarness,
  typesSince,
  type Harness,
} from './helpers.js';

const DAY_MS = 86_400_000;
let h: Harness;
let price: Stripe.Price;

beforeEach(async () => {
  h = await startHarness();
  price = await monthlyPrice(h.stripe);
});
afterEach(async () => {
  await h.close();
});

function lastEvent(type: string): Stripe.Event | undefined {
  return [...h.local.events()].reverse().find((e) => e.type === type);
}

describe('renewals', () => {
  it('renew moves the items’ period to the next month and pays a cycle invoice', async () => {
    const subId = await paidSubscription(h, price, {
      subscription_data: { metadata: { grant_id: 'grt_r' } },
    });
    const before = await h.stripe.subscriptions.retrieve(subId);
    const first = before.items.data[0];
    const mark = h.local.events().length;
    h.local.simulator.renew(subId);
    const after = await h.stripe.subscriptions.retrieve(subId);
    const item = after.items.data[0];
    expect(item?.current_period_start).toBe(first?.current_period_end);
    expect(item?.current_period_end).toBeGreaterThan(first?.current_period_end ?? Infinity);
    expect(after.status).toBe('active');
    expect(typesSince(h.local, mark)).toEqual([
      'customer.subscription.updated',
      'invoice.created',
      'invoice.finalized',
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
    ]);
    const updated = lastEvent('customer.subscription.updated');
    expect(updated?.data.previous_attributes).toHaveProperty('items');
    const invoice = await h.stripe.invoices.retrieve(String(after.latest_invoice));
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid' });
    expect(invoice.parent?.subscription_details?.metadata).toEqual({ grant_id: 'grt_r' });
    expect((await h.stripe.invoices.list({ subscription: subId })).data).toHaveLength(2);
  });

  it('renew touches only its subscription and leaves the clock alone', async () => {
    const a = await paidSubscription(h, price);
    const b = await paidSubscription(h, price);
    const now = h.local.clock.nowSeconds();
    const bBefore = await h.stripe.subscriptions.retrieve(b);
    h.local.simulator.renew(a);
    expect(h.local.clock.nowSeconds() - now).toBeLessThan(5);
    expect((await h.stripe.subscriptions.retrieve(b)).items.data[0]?.current_period_end).toBe(
      bBefore.items.data[0]?.current_period_end,
    );
    expect((await h.stripe.invoices.list({ subscription: b })).data).toHaveLength(1);
    expect((await h.stripe.invoices.list({ subscription: a })).data).toHaveLength(2);
  });

  it('advanceClock runs every renewal that came due', async () => {
    const subId = await paidSubscription(h, price);
    const summary = h.local.clock.advance(95 * DAY_MS);
    expect(summary.renewals).toBe(3);
    expect((await h.stripe.invoices.list({ subscription: subId })).data).toHaveLength(4);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    expect(sub.items.data[0]?.current_period_end).toBeGreaterThan(h.local.clock.nowSeconds());
  });

  it('a trial warns before it ends, then renewal turns trialing into active and charges', async () => {
    const subId = await paidSubscription(h, price, { subscription_data: { trial_period_days: 14 } });
    h.local.clock.advance(11 * DAY_MS + 1000);
    expect(lastEvent('customer.subscription.trial_will_end')).toBeDefined();
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('trialing');
    h.local.simulator.renew(subId);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    expect(sub.status).toBe('active');
    expect(lastEvent('customer.subscription.updated')?.data.previous_attributes).toMatchObject({
      status: 'trialing',
    });
    expect(lastEvent('invoice.paid')?.data.object).toMatchObject({ amount_paid: 1500 });
  });
});

describe('payment failures', () => {
  it('failPayment leaves the subscription past_due with invoice.payment_failed; recoverPayment restores it', async () => {
    const subId = await paidSubscription(h, price);
    const mark = h.local.events().length;
    h.local.simulator.failPayment(subId);
    expect(typesSince(h.local, mark)).toContain('invoice.payment_failed');
    expect(typesSince(h.local, mark).at(-1)).toBe('customer.subscription.updated');
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('past_due');
    const open = await h.stripe.invoices.list({ subscription: subId, status: 'open' });
    expect(open.data).toHaveLength(1);
    h.local.simulator.recoverPayment(subId);
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('active');
    expect(lastEvent('invoice.paid')?.data.object).toMatchObject({ id: open.data[0]?.id });
  });

  it('after failures: markUnpaid → unpaid, cancelAfterFailures → canceled with customer.subscription.deleted', async () => {
    const a = await paidSubscription(h, price);
    h.local.simulator.failPayment(a);
    h.local.simulator.markUnpaid(a);
    expect((await h.stripe.subscriptions.retrieve(a)).status).toBe('unpaid');
    h.local.simulator.cancelAfterFailures(a);
    const canceled = await h.stripe.subscriptions.retrieve(a);
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_details: { reason: 'payment_failed' },
    });
    expect(lastEvent('customer.subscription.deleted')?.data.object).toMatchObject({
      id: a,
      status: 'canceled',
    });
  });

  it('refuses actions that do not fit the status', async () => {
    const subId = await paidSubscription(h, price);
    expect(() => h.local.simulator.markUnpaid(subId)).toThrow(SandboxActionError);
    expect(() => h.local.simulator.resume(subId)).toThrow(SandboxActionError);
  });
});

describe('cancellation, pause and plan changes', () => {
  it('cancel at period end keeps the subscription active, then ends it at period end', async () => {
    const subId = await paidSubscription(h, price);
    h.local.simulator.cancelAtPeriodEnd(subId, true);
    const flagged = await h.stripe.subscriptions.retrieve(subId);
    expect(flagged).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      cancel_at: flagged.items.data[0]?.current_period_end,
    });
    expect(lastEvent('customer.subscription.updated')?.data.previous_attributes).toMatchObject({
      cancel_at_period_end: false,
    });
    h.local.clock.advance(32 * DAY_MS);
    const ended = await h.stripe.subscriptions.retrieve(subId);
    expect(ended.status).toBe('canceled');
    expect(ended.ended_at).toBe(flagged.items.data[0]?.current_period_end);
    expect((await h.stripe.invoices.list({ subscription: subId })).data).toHaveLength(1);
  });

  it('the API update un-cancels and DELETE cancels now', async () => {
    const subId = await paidSubscription(h, price);
    await h.stripe.subscriptions.update(subId, { cancel_at_period_end: true });
    const resumed = await h.stripe.subscriptions.update(subId, {
      cancel_at_period_end: false,
      metadata: { note: 'stay' },
    });
    expect(resumed).toMatchObject({
      cancel_at_period_end: false,
      cancel_at: null,
      metadata: { note: 'stay' },
    });
    const canceled = await h.stripe.subscriptions.cancel(subId);
    expect(canceled.status).toBe('canceled');
    expect(lastEvent('customer.subscription.deleted')).toBeDefined();
    expect((await h.stripe.subscriptions.list({ customer: String(canceled.customer) })).data).toHaveLength(0);
    expect((await h.stripe.subscriptions.list({ status: 'canceled' })).data.map((s) => s.id)).toEqual([
      subId,
    ]);
  });

  it('DELETE takes prorate and invoice_now as booleans; canceling again is a 404, as on Stripe', async () => {
    const subId = await paidSubscription(h, price);
    await expect(
      h.stripe.subscriptions.cancel(subId, { prorate: 'soon' as unknown as boolean }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'prorate' });
    const canceled = await h.stripe.subscriptions.cancel(subId, { prorate: false, invoice_now: false });
    expect(canceled.status).toBe('canceled');
    await expect(h.stripe.subscriptions.cancel(subId)).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('failNext answers the next matching requests with a 500 the client does not retry by itself', async () => {
    const subId = await paidSubscription(h, price);
    h.local.failNext('DELETE', new RegExp(`/v1/subscriptions/${subId}$`), { times: 1 });
    await expect(h.stripe.subscriptions.cancel(subId)).rejects.toMatchObject({ statusCode: 500 });
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('active');
    expect((await h.stripe.subscriptions.cancel(subId)).status).toBe('canceled');
  });

  it('pause and resume send paused/resumed events and change the status', async () => {
    const subId = await paidSubscription(h, price);
    h.local.simulator.pause(subId);
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('paused');
    expect(lastEvent('customer.subscription.paused')).toBeDefined();
    h.local.simulator.resume(subId);
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('active');
    expect(lastEvent('customer.subscription.resumed')).toBeDefined();
  });

  it('changePlan swaps the item price without proration and reports the old items', async () => {
    const subId = await paidSubscription(h, price);
    const premium = await monthlyPrice(h.stripe, 3000);
    h.local.simulator.changePlan(subId, premium.id);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    expect(sub.items.data[0]?.price.id).toBe(premium.id);
    const previous = lastEvent('customer.subscription.updated')?.data
      .previous_attributes as Partial<Stripe.Subscription>;
    expect(previous.items?.data[0]?.price.id).toBe(price.id);
    expect((await h.stripe.invoices.list({ subscription: subId })).data).toHaveLength(1);
  });

  it('the API changes items by id with proration_behavior=none', async () => {
    const subId = await paidSubscription(h, price);
    const premium = await monthlyPrice(h.stripe, 3000);
    const current = await h.stripe.subscriptions.retrieve(subId);
    const updated = await h.stripe.subscriptions.update(subId, {
      items: [{ id: String(current.items.data[0]?.id), price: premium.id }],
      proration_behavior: 'none',
    });
    expect(updated.items.data.map((i) => i.price.id)).toEqual([premium.id]);
    expect(updated.items.data[0]?.id).toBe(current.items.data[0]?.id);
  });
});

describe('refunds and disputes', () => {
  async function paidPayment(): Promise<Stripe.PaymentIntent> {
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: (await oneTimePrice(h.stripe, 5000)).id, quantity: 1 }],
      customer_email: 'pay@example.com',
    });
    h.local.completeCheckout(session.id, { outcome: 'paid' });
    return h.stripe.paymentIntents.retrieve(
      String((await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent),
    );
  }

  it('a partial refund leaves refunded false; refunding the rest makes it true', async () => {
    const pi = await paidPayment();
    const partial = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 2000 });
    expect(partial).toMatchObject({
      object: 'refund',
      amount: 2000,
      status: 'succeeded',
      payment_intent: pi.id,
    });
    let charge = await h.stripe.charges.retrieve(String(pi.latest_charge));
    expect(charge).toMatchObject({ refunded: false, amount_refunded: 2000 });
    expect(lastEvent('charge.refunded')?.data.object).toMatchObject({
      refunded: false,
      amount_refunded: 2000,
    });
    h.local.simulator.refund(pi.id);
    charge = await h.stripe.charges.retrieve(String(pi.latest_charge));
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 5000 });
    expect(lastEvent('refund.created')?.data.object).toMatchObject({ amount: 3000 });
    await expect(h.stripe.refunds.create({ charge: charge.id })).rejects.toMatchObject({
      code: 'charge_already_refunded',
    });
  });

  it('refuses a refund above the unrefunded amount', async () => {
    const pi = await paidPayment();
    await expect(h.stripe.refunds.create({ payment_intent: pi.id, amount: 6000 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
    });
  });

  it('a dispute carries the payment_intent, and closes as won or lost', async () => {
    const pi = await paidPayment();
    const dispute = h.local.simulator.openDispute(pi.id);
    expect(lastEvent('charge.dispute.created')?.data.object).toMatchObject({
      id: dispute.id,
      payment_intent: pi.id,
      status: 'needs_response',
    });
    expect((await h.stripe.charges.retrieve(String(pi.latest_charge))).disputed).toBe(true);
    h.local.simulator.closeDispute(dispute.id, 'lost');
    expect(await h.stripe.disputes.retrieve(dispute.id)).toMatchObject({
      status: 'lost',
      payment_intent: pi.id,
    });
    expect(lastEvent('charge.dispute.closed')?.data.object).toMatchObject({ status: 'lost' });
  });

  it('refunds a subscription payment through its invoice', async () => {
    const subId = await paidSubscription(h, price);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    const refund = h.local.simulator.refund(String(sub.latest_invoice));
    const charge = await h.stripe.charges.retrieve(String(refund.charge));
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 1500 });
    const payments = await h.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: String(charge.payment_intent) },
    });
    expect(payments.data[0]?.invoice).toBe(sub.latest_invoice);
  });
});

describe('the billing portal and the control API', () => {
  it('a portal session opens a local page where the buyer cancels at period end, then resumes', async () => {
    const subId = await paidSubscription(h, price);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    const portal = await h.stripe.billingPortal.sessions.create({
      customer: String(sub.customer),
      return_url: 'https://rolegate.test/account',
    });
    expect(portal.url).toBe(`${h.local.url}/portal/${portal.id}`);
    expect(await (await fetch(portal.url)).text()).toContain('Cancel at period end');
    const post = (action: string) =>
      fetch(`${portal.url}/subscriptions/${subId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `action=${action}`,
        redirect: 'manual',
      });
    expect((await post('cancel')).status).toBe(303);
    expect((await h.stripe.subscriptions.retrieve(subId)).cancel_at_period_end).toBe(true);
    expect(await (await fetch(portal.url)).text()).toContain('Resume');
    await post('renew');
    expect((await h.stripe.subscriptions.retrieve(subId)).cancel_at_period_end).toBe(false);
  });

  it('the JSON control API drives the simulator with the secret key', async () => {
    const subId = await paidSubscription(h, price);
    const call = (path: string, body: unknown, key = h.local.secretKey) =>
      fetch(`${h.local.url}/_sandbox/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await call(`subscriptions/${subId}/renew`, {}, 'sk_test_wrong')).status).toBe(401);
    const renewed = await call(`subscriptions/${subId}/fail_payment`, {});
    expect(renewed.status).toBe(200);
    expect(((await renewed.json()) as Stripe.Subscription).status).toBe('past_due');
    expect((await call(`subscriptions/${subId}/pause`, {})).status).toBe(200);
    expect((await call(`subscriptions/${subId}/bogus`, {})).status).toBe(404);
    expect((await call('clock/advance', { days: 1 })).status).toBe(200);
    expect((await call('disputes/dp_missing/close', { outcome: 'won' })).status).toBe(404);
    expect((await call('disputes/dp_missing/close', { outcome: 'maybe' })).status).toBe(400);
  });
});
