import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monthlyPrice, oneTimePrice, startHarness, typesSince, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const SUCCESS = 'https://rolegate.test/thanks?session_id={CHECKOUT_SESSION_ID}';

async function subscriptionSession(
  price: Stripe.Price,
  extra: Partial<Stripe.Checkout.SessionCreateParams> = {},
) {
  return h.stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: price.id, quantity: 1 }],
    client_reference_id: 'grt_123',
    metadata: { grant_id: 'grt_123' },
    subscription_data: { metadata: { grant_id: 'grt_123', discord_user_id: '99' } },
    success_url: SUCCESS,
    cancel_url: 'https://rolegate.test/cancel',
    ...extra,
  });
}

describe('subscription checkout', () => {
  it('creates an open session whose url is this server’s hosted page', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    expect(session).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      mode: 'subscription',
      client_reference_id: 'grt_123',
      metadata: { grant_id: 'grt_123' },
      amount_total: 1500,
      currency: 'usd',
      subscription: null,
    });
    expect(session.url).toBe(`${h.local.url}/checkout/${session.id}`);
    expect(session.expires_at - session.created).toBe(24 * 3600);
  });

  it('paying creates a customer and an active subscription carrying subscription_data.metadata, with periods on items', async () => {
    const price = await monthlyPrice(h.stripe);
    const session = await subscriptionSession(price);
    const before = h.local.events().length;
    const result = h.local.completeCheckout(session.id, { outcome: 'paid', email: 'buyer@example.com' });
    expect(result.redirectUrl).toBe(`https://rolegate.test/thanks?session_id=${session.id}`);

    const done = await h.stripe.checkout.sessions.retrieve(session.id, {
      expand: ['subscription', 'line_items'],
    });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    expect(done.customer_details?.email).toBe('buyer@example.com');
    expect(done.line_items?.data).toHaveLength(1);
    expect(done.line_items?.data[0]).toMatchObject({ object: 'item', amount_total: 1500, quantity: 1 });
    const sub = done.subscription as Stripe.Subscription;
    expect(sub).toMatchObject({
      object: 'subscription',
      status: 'active',
      metadata: { grant_id: 'grt_123', discord_user_id: '99' },
    });
    expect(sub.customer).toBe(done.customer);
    const item = sub.items.data[0];
    expect(item?.price.id).toBe(price.id);
    expect(item?.current_period_end).toBeGreaterThan(item?.current_period_start ?? Infinity);
    expect('current_period_end' in sub).toBe(false);

    expect(typesSince(h.local, before)).toEqual([
      'customer.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'customer.subscription.updated',
      'checkout.session.completed',
    ]);
    const created = h.local.events().find((e) => e.type === 'customer.subscription.created');
    expect((created?.data.object as Stripe.Subscription).status).toBe('incomplete');
  });

  it('the first invoice links the subscription through parent.subscription_details and its payment through invoice_payments', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    h.local.completeCheckout(session.id, { outcome: 'paid', email: 'buyer@example.com' });
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    const invoice = await h.stripe.invoices.retrieve(String(done.invoice), { expand: ['payments'] });
    expect(invoice).toMatchObject({
      status: 'paid',
      amount_paid: 1500,
      billing_reason: 'subscription_create',
    });
    expect(invoice.parent).toMatchObject({
      type: 'subscription_details',
      subscription_details: {
        subscription: done.subscription,
        metadata: { grant_id: 'grt_123', discord_user_id: '99' },
      },
    });
    const piId = String(invoice.payments?.data[0]?.payment.payment_intent);
    expect(piId).toMatch(/^pi_/);
    const payments = await h.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: piId },
    });
    expect(payments.data.map((p) => p.invoice)).toEqual([invoice.id]);
    const byInvoice = await h.stripe.invoices.list({ subscription: String(done.subscription) });
    expect(byInvoice.data.map((i) => i.id)).toEqual([invoice.id]);
  });

  it('a trial subscription starts trialing with nothing to pay', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe), {
      subscription_data: { trial_period_days: 7, metadata: { grant_id: 'g' } },
    });
    h.local.completeCheckout(session.id, { outcome: 'paid', email: 'trial@example.com' });
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done.payment_status).toBe('no_payment_required');
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe('trialing');
    expect((sub.trial_end ?? 0) - (sub.trial_start ?? 0)).toBe(7 * 86400);
    expect(sub.items.data[0]?.current_period_end).toBe(sub.trial_end);
  });

  it('a delayed payment completes the session unpaid, then async_payment_succeeded activates it', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    h.local.completeCheckout(session.id, { outcome: 'delayed', email: 'bank@example.com' });
    let done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
    expect((done.subscription as Stripe.Subscription).status).toBe('incomplete');
    const before = h.local.events().length;
    h.local.simulator.asyncPaymentSucceeded(session.id);
    done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done.payment_status).toBe('paid');
    expect((done.subscription as Stripe.Subscription).status).toBe('active');
    expect(typesSince(h.local, before).at(-1)).toBe('checkout.session.async_payment_succeeded');
  });

  it('a failed delayed payment sends async_payment_failed and the subscription never starts', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    h.local.completeCheckout(session.id, { outcome: 'delayed', email: 'bank@example.com' });
    h.local.simulator.asyncPaymentFailed(session.id);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done.payment_status).toBe('unpaid');
    expect((done.subscription as Stripe.Subscription).status).toBe('incomplete_expired');
    expect(h.local.events().at(-1)?.type).toBe('checkout.session.async_payment_failed');
  });
});

describe('payment checkout', () => {
  it('sets a payment_intent carrying payment_intent_data.metadata, without creating a customer by default', async () => {
    const price = await oneTimePrice(h.stripe);
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 2 }],
      customer_email: 'once@example.com',
      payment_intent_data: { metadata: { grant_id: 'grt_9' } },
      success_url: SUCCESS,
    });
    expect(session.payment_intent).toBeNull();
    const before = h.local.events().length;
    h.local.completeCheckout(session.id, { outcome: 'paid' });
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(done).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      customer: null,
      amount_total: 9800,
    });
    const pi = done.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({ status: 'succeeded', amount: 9800, metadata: { grant_id: 'grt_9' } });
    const charge = await h.stripe.charges.retrieve(String(pi.latest_charge));
    expect(charge).toMatchObject({ payment_intent: pi.id, paid: true, refunded: false, amount_refunded: 0 });
    expect(typesSince(h.local, before)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
  });

  it('rejects a recurring price in payment mode and an unknown price', async () => {
    const recurring = await monthlyPrice(h.stripe);
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: recurring.id, quantity: 1 }],
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items' });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: 'price_nope', quantity: 1 }],
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'line_items[0][price]' });
    await expect(
      h.stripe.checkout.sessions.create({ mode: 'subscription', success_url: SUCCESS }),
    ).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'line_items',
    });
  });

  it('expires an open session and lists sessions by status', async () => {
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: (await oneTimePrice(h.stripe)).id, quantity: 1 }],
    });
    const expired = await h.stripe.checkout.sessions.expire(session.id);
    expect(expired.status).toBe('expired');
    expect(h.local.events().at(-1)?.type).toBe('checkout.session.expired');
    await expect(h.stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({ statusCode: 400 });
    const list = await h.stripe.checkout.sessions.list({ status: 'expired' });
    expect(list.data.map((s) => s.id)).toEqual([session.id]);
  });
});

describe('the hosted checkout page', () => {
  it('shows the items, the price, an email field and the three buttons', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    const res = await fetch(String(session.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('VIP role');
    expect(html).toContain('$15.00');
    expect(html).toContain('name="email"');
    expect(html).toMatch(/value="pay">Pay</);
    expect(html).toContain('Decline (card declined)');
    expect(html).toContain('Pay with delayed method (bank debit)');
  });

  it('Pay posts the form and redirects (303) to success_url with the session id substituted', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    const res = await fetch(String(session.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=pay&email=page%40example.com',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://rolegate.test/thanks?session_id=${session.id}`);
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(done.customer_details?.email).toBe('page@example.com');
    expect(done.status).toBe('complete');
  });

  it('Decline shows the decline and keeps the session open', async () => {
    const price = await oneTimePrice(h.stripe);
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 1 }],
      customer_email: 'declined@example.com',
      success_url: SUCCESS,
    });
    const res = await fetch(String(session.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=decline',
      redirect: 'manual',
    });
    expect(res.status).toBe(402);
    expect(await res.text()).toContain('Your card was declined');
    const after = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(after.status).toBe('open');
    const declined = after.payment_intent as Stripe.PaymentIntent;
    expect(declined.last_payment_error?.code).toBe('card_declined');
    // Paying afterwards still works, on the same payment intent.
    h.local.completeCheckout(session.id, { outcome: 'paid' });
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent).toBe(declined.id);
    expect((await h.stripe.paymentIntents.retrieve(declined.id)).status).toBe('succeeded');
  });

  it('asks for an email when the session has neither customer nor customer_email', async () => {
    const session = await subscriptionSession(await monthlyPrice(h.stripe));
    const res = await fetch(String(session.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=pay',
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('email address is required');
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });
});
