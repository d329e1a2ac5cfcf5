import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monthlyPrice, paidSubscription, startHarness, typesSince, type Harness } from './helpers.js';

const DAY_MS = 86_400_000;
let h: Harness;
let basic: Stripe.Price;
let premium: Stripe.Price;

beforeEach(async () => {
  h = await startHarness();
  basic = await monthlyPrice(h.stripe, 1000);
  premium = await monthlyPrice(h.stripe, 3000);
});
afterEach(async () => {
  await h.close();
});

/** A paid basic subscription, half-way through its month (30 or 31 days: read the period). */
async function halfWay(): Promise<{ sub: Stripe.Subscription; fraction: number }> {
  const subId = await paidSubscription(h, basic);
  const sub = await h.stripe.subscriptions.retrieve(subId);
  const item = sub.items.data[0]!;
  const span = item.current_period_end - item.current_period_start;
  h.local.clock.advance(Math.floor((span * 1000) / 2));
  const now = h.local.clock.nowSeconds();
  return { sub, fraction: (item.current_period_end - now) / span };
}

const upgrade = (sub: Stripe.Subscription, extra: Stripe.SubscriptionUpdateParams) =>
  h.stripe.subscriptions.update(sub.id, {
    items: [{ id: sub.items.data[0]!.id, price: premium.id }],
    ...extra,
  });

describe('plan changes with prorations', () => {
  it('always_invoice bills the rest of the period now: a credit for the old price, a charge for the new', async () => {
    const { sub, fraction } = await halfWay();
    const mark = h.local.events().length;
    const updated = await upgrade(sub, { proration_behavior: 'always_invoice' });
    expect(updated.items.data[0]?.price.id).toBe(premium.id);
    const invoice = await h.stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(invoice.status).toBe('paid');
    const lines = invoice.lines.data;
    expect(lines.map((l) => l.amount)).toEqual([-Math.round(1000 * fraction), Math.round(3000 * fraction)]);
    expect(lines.every((l) => l.parent?.subscription_item_details?.proration === true)).toBe(true);
    expect(lines[0]?.description).toMatch(/^Unused time on/);
    expect(invoice.amount_paid).toBe(Math.round(3000 * fraction) - Math.round(1000 * fraction));
    expect(typesSince(h.local, mark)).toEqual(
      expect.arrayContaining(['customer.subscription.updated', 'invoice.created', 'invoice.paid']),
    );
  });

  it('create_prorations (the default) changes now and bills the proration with the next renewal', async () => {
    const { sub, fraction } = await halfWay();
    const before = (await h.stripe.invoices.list({ subscription: sub.id })).data.length;
    const updated = await upgrade(sub, {});
    expect(updated.items.data[0]?.price.id).toBe(premium.id);
    expect((await h.stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(before);
    h.local.simulator.renew(sub.id);
    const renewal = await h.stripe.invoices.retrieve(
      String((await h.stripe.subscriptions.retrieve(sub.id)).latest_invoice),
    );
    expect(renewal.lines.data.map((l) => l.amount)).toEqual([
      3000,
      -Math.round(1000 * fraction),
      Math.round(3000 * fraction),
    ]);
  });

  it('pending_if_incomplete keeps the old price until the payment succeeds, then applies the change', async () => {
    const { sub } = await halfWay();
    h.local.simulator.declineNextPayment(sub.id);
    const held = await upgrade(sub, {
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
    });
    expect(held.items.data[0]?.price.id).toBe(basic.id);
    expect(held.status).toBe('active');
    expect(held.pending_update?.subscription_items?.[0]?.price.id).toBe(premium.id);
    const invoice = await h.stripe.invoices.retrieve(String(held.latest_invoice));
    expect(invoice.status).toBe('open');

    const mark = h.local.events().length;
    const paid = await h.stripe.invoices.pay(invoice.id);
    expect(paid.status).toBe('paid');
    const applied = await h.stripe.subscriptions.retrieve(sub.id);
    expect(applied.items.data[0]?.price.id).toBe(premium.id);
    expect(applied.pending_update).toBeNull();
    const event = h.local
      .events()
      .slice(mark)
      .find((e) => e.type === 'customer.subscription.updated');
    const previous = event?.data.previous_attributes as Partial<Stripe.Subscription> | undefined;
    expect(previous?.items?.data[0]?.price.id).toBe(basic.id);
  });

  it('error_if_incomplete answers a declined payment with 402 and changes nothing', async () => {
    const { sub } = await halfWay();
    h.local.simulator.declineNextPayment(sub.id);
    const err = await upgrade(sub, {
      proration_behavior: 'always_invoice',
      payment_behavior: 'error_if_incomplete',
    }).catch((e: unknown) => e as Stripe.errors.StripeError);
    expect(err).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined' });
    const after = await h.stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data[0]?.price.id).toBe(basic.id);
    expect(after.pending_update).toBeNull();
  });

  it('a downgrade invoiced now is a credit on the customer balance, not a charge', async () => {
    const subId = await paidSubscription(h, premium);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    h.local.clock.advance(10 * DAY_MS);
    const updated = await h.stripe.subscriptions.update(subId, {
      items: [{ id: sub.items.data[0]!.id, price: basic.id }],
      proration_behavior: 'always_invoice',
    });
    const invoice = await h.stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(invoice.amount_due).toBe(0);
    const customer = (await h.stripe.customers.retrieve(String(sub.customer))) as Stripe.Customer;
    expect(customer.balance).toBeLessThan(0);
  });

  it('proration_behavior=none bills nothing until the renewal, then the new price', async () => {
    const { sub } = await halfWay();
    const before = (await h.stripe.invoices.list({ subscription: sub.id })).data.length;
    await upgrade(sub, { proration_behavior: 'none' });
    h.local.simulator.renew(sub.id);
    const renewal = await h.stripe.invoices.retrieve(
      String((await h.stripe.subscriptions.retrieve(sub.id)).latest_invoice),
    );
    expect(renewal.lines.data.map((l) => l.amount)).toEqual([3000]);
    expect((await h.stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(before + 1);
  });

  it('refuses a bad proration_behavior and paying an invoice that is not open', async () => {
    const { sub } = await halfWay();
    await expect(upgrade(sub, { proration_behavior: 'sometimes' as 'none' })).rejects.toMatchObject({
      statusCode: 400,
      param: 'proration_behavior',
    });
    const paid = String(sub.latest_invoice);
    await expect(h.stripe.invoices.pay(paid)).rejects.toMatchObject({ statusCode: 400 });
  });
});
