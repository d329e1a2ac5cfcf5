import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualTimers, type DeliverySettingsInput } from '../src/index.js';
import {
  monthlyPrice,
  paidSubscription,
  startHarness,
  startReceiver,
  type Harness,
  type Receiver,
} from './helpers.js';

let h: Harness;
let receiver: Receiver;
let secret: string;
const verifier = new Stripe('sk_test_verifier_only');

beforeEach(async () => {
  h = await startHarness({ delivery: { retryDelayMs: 10 } });
  receiver = await startReceiver();
  secret = h.local.addWebhookEndpoint(receiver.url).secret;
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

/** Restarts the local Stripe with delivery waits on timers the test moves itself. */
async function restartOnManualTimers(delivery: DeliverySettingsInput): Promise<ManualTimers> {
  await h.close();
  const timers = new ManualTimers();
  h = await startHarness({ delivery, deliveryTimers: timers });
  secret = h.local.addWebhookEndpoint(receiver.url).secret;
  return timers;
}

function verified(): Stripe.Event[] {
  return receiver.received.map((r) => verifier.webhooks.constructEvent(r.rawBody, r.signature, secret));
}

async function createCustomers(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.stripe.customers.create({ email: `w${i}@x.io` })).id);
  return ids;
}

describe('webhook delivery', () => {
  it('posts every event, signed so that stripe.webhooks.constructEvent verifies it', async () => {
    expect(secret).toMatch(/^whsec_/);
    const sub = await paidSubscription(h, await monthlyPrice(h.stripe));
    await h.local.flushDeliveries();
    const events = verified();
    expect(events.map((e) => e.id)).toEqual(h.local.events().map((e) => e.id));
    const completed = events.find((e) => e.type === 'checkout.session.completed');
    expect(completed).toMatchObject({ object: 'event', api_version: '2026-10-28.endive', livemode: false });
    expect((completed?.data.object as Stripe.Checkout.Session).subscription).toBe(sub);
    const created = events.map((e) => e.created);
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it('a tampered body or another secret fails verification', async () => {
    await createCustomers(1);
    await h.local.flushDeliveries();
    const [first] = receiver.received;
    expect(first).toBeDefined();
    expect(() =>
      verifier.webhooks.constructEvent(`${first?.rawBody} `, String(first?.signature), secret),
    ).toThrow();
    expect(() =>
      verifier.webhooks.constructEvent(String(first?.rawBody), String(first?.signature), 'whsec_other'),
    ).toThrow();
  });

  it('uses a given endpoint secret', async () => {
    const other = await startReceiver();
    h.local.addWebhookEndpoint(other.url, { secret: 'whsec_fixed_for_test' });
    await createCustomers(1);
    await h.local.flushDeliveries();
    const [r] = other.received;
    expect(
      verifier.webhooks.constructEvent(String(r?.rawBody), String(r?.signature), 'whsec_fixed_for_test').type,
    ).toBe('customer.created');
    await other.close();
  });

  it('duplicate: true sends every event twice, with the same id', async () => {
    h.local.delivery.set({ duplicate: true });
    await createCustomers(2);
    await h.local.flushDeliveries();
    const ids = verified().map((e) => e.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
  });

  it('duplicate: 0 (the default) sends each event once', async () => {
    await createCustomers(3);
    await h.local.flushDeliveries();
    expect(verified()).toHaveLength(3);
  });

  it('reorder shuffles a batch: the events of one checkout arrive out of creation order', async () => {
    h.local.delivery.set({ reorder: true });
    await paidSubscription(h, await monthlyPrice(h.stripe));
    await h.local.flushDeliveries();
    const checkoutEvents = h.local
      .events()
      .filter((e) => !e.type.startsWith('product.') && !e.type.startsWith('price.'));
    const arrived = verified()
      .map((e) => e.id)
      .filter((id) => checkoutEvents.some((e) => e.id === id));
    expect(arrived).toHaveLength(checkoutEvents.length);
    expect(arrived).not.toEqual(checkoutEvents.map((e) => e.id));
    expect([...arrived].sort()).toEqual(checkoutEvents.map((e) => e.id).sort());
  });

  it('delayMs holds events, and everything emitted meanwhile goes out together', async () => {
    const timers = await restartOnManualTimers({ delayMs: 150 });
    await createCustomers(2);
    expect(timers.pending()).toEqual([150]);
    timers.advance(149);
    expect(timers.pending()).toEqual([1]);
    expect(h.local.deliveryAttempts()).toHaveLength(0);
    timers.advance(1);
    await h.local.flushDeliveries();
    expect(verified()).toHaveLength(2);
    expect(h.local.deliveryAttempts().map((a) => a.kind)).toEqual(['first', 'first']);
  });

  it('dropThenRedeliver: the first attempt is not sent, the event is undelivered, then it arrives once', async () => {
    const timers = await restartOnManualTimers({ dropThenRedeliver: true, retryDelayMs: 80 });
    const [customer] = await createCustomers(1);
    const event = h.local.events().find((e) => e.type === 'customer.created');
    await timers.whenWaiting(1);
    expect(timers.pending()).toEqual([80]);
    expect(h.local.deliveryAttempts(event?.id).map((a) => a.kind)).toEqual(['dropped']);
    expect(receiver.received).toHaveLength(0);
    const pending = await h.stripe.events.list({ delivery_success: false });
    expect(pending.data.map((e) => e.id)).toEqual([event?.id]);
    timers.advance(80);
    await h.local.flushDeliveries();
    const events = verified();
    expect(events).toHaveLength(1);
    expect((events[0]?.data.object as Stripe.Customer).id).toBe(customer);
    expect(h.local.deliveryAttempts(event?.id).map((a) => a.kind)).toEqual(['dropped', 'retry']);
    expect((await h.stripe.events.list({ delivery_success: false })).data).toHaveLength(0);
  });

  it('retries non-2xx answers with backoff until one succeeds', async () => {
    receiver.status = (n) => (n <= 2 ? 500 : 200);
    await createCustomers(1);
    await h.local.flushDeliveries();
    expect(receiver.received).toHaveLength(3);
    const attempts = h.local.deliveryAttempts();
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(attempts.map((a) => a.kind)).toEqual(['first', 'retry', 'retry']);
    expect((await h.stripe.events.list({ delivery_success: true })).data).toHaveLength(1);
  });

  it('lists events that failed every attempt with delivery_success=false, and a manual redeliver fixes them', async () => {
    receiver.status = () => 503;
    h.local.delivery.set({ maxAttempts: 3 });
    await createCustomers(2);
    await h.local.flushDeliveries();
    expect(receiver.received).toHaveLength(6);
    const failed = await h.stripe.events.list({ delivery_success: false, type: 'customer.*' });
    expect(failed.data).toHaveLength(2);
    expect(failed.data.every((e) => e.pending_webhooks === 1)).toBe(true);
    receiver.status = () => 200;
    const [attempt] = await h.local.redeliver(String(failed.data[0]?.id));
    expect(attempt).toMatchObject({ ok: true, status: 200, kind: 'manual' });
    expect((await h.stripe.events.list({ delivery_success: false })).data.map((e) => e.id)).toEqual([
      failed.data[1]?.id,
    ]);
  });

  it('filters listed events by type, types[] and created', async () => {
    await paidSubscription(h, await monthlyPrice(h.stripe));
    const invoices = await h.stripe.events.list({ types: ['invoice.paid', 'invoice.finalized'] });
    expect(invoices.data.map((e) => e.type).sort()).toEqual(['invoice.finalized', 'invoice.paid']);
    const wildcard = await h.stripe.events.list({ type: 'customer.subscription.*' });
    expect(wildcard.data.map((e) => e.type)).toEqual([
      'customer.subscription.updated',
      'customer.subscription.created',
    ]);
    const future = await h.stripe.events.list({ created: { gte: h.local.clock.nowSeconds() + 10 } });
    expect(future.data).toHaveLength(0);
    const one = await h.stripe.events.retrieve(String(invoices.data[0]?.id));
    expect(one.id).toBe(invoices.data[0]?.id);
  });
});
