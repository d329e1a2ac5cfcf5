import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, startReceiver, type Harness, type Receiver } from './helpers.js';

let h: Harness;
let receiver: Receiver;
const verifier = new Stripe('sk_test_verifier_only');

beforeEach(async () => {
  h = await startHarness();
  receiver = await startReceiver();
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

const types = () =>
  receiver.received.map((r) => JSON.parse(r.rawBody) as { type: string }).map((e) => e.type);

describe('POST /v1/webhook_endpoints and friends', () => {
  it('creates an endpoint whose secret (in that answer only) signs the events it asked for', async () => {
    const created = await h.stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['customer.created', 'invoice.*' as Stripe.WebhookEndpointCreateParams.EnabledEvent],
      description: 'Rolegate',
      metadata: { app: 'rolegate' },
    });
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      url: receiver.url,
      enabled_events: ['customer.created', 'invoice.*' as Stripe.WebhookEndpointCreateParams.EnabledEvent],
      description: 'Rolegate',
      metadata: { app: 'rolegate' },
      status: 'enabled',
      livemode: false,
    });
    expect(created.id).toMatch(/^we_/);
    expect(created.secret).toMatch(/^whsec_/);
    const again = await h.stripe.webhookEndpoints.retrieve(created.id);
    expect(again.secret).toBeUndefined();
    expect(again.url).toBe(receiver.url);

    await h.stripe.customers.create({ email: 'a@x.io' });
    await h.stripe.products.create({ name: 'not asked for' });
    await h.local.flushDeliveries();
    expect(types()).toEqual(['customer.created']);
    const [r] = receiver.received;
    const event = verifier.webhooks.constructEvent(String(r?.rawBody), String(r?.signature), created.secret!);
    expect(event.type).toBe('customer.created');
  });

  it('lists newest first, updates, disables and deletes', async () => {
    const a = await h.stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const b = await h.stripe.webhookEndpoints.create({
      url: `${receiver.url}?b`,
      enabled_events: ['customer.created'],
    });
    const list = await h.stripe.webhookEndpoints.list();
    expect(list.data.map((e) => e.id)).toEqual([b.id, a.id]);
    expect(list.data.every((e) => e.secret === undefined)).toBe(true);

    const updated = await h.stripe.webhookEndpoints.update(a.id, {
      enabled_events: ['customer.updated'],
      disabled: true,
    });
    expect(updated).toMatchObject({ status: 'disabled', enabled_events: ['customer.updated'] });
    await h.stripe.webhookEndpoints.del(b.id);
    await h.stripe.customers.create({ email: 'b@x.io' });
    await h.local.flushDeliveries();
    expect(receiver.received).toEqual([]);

    await h.stripe.webhookEndpoints.update(a.id, { disabled: false, enabled_events: ['customer.created'] });
    await h.stripe.customers.create({ email: 'c@x.io' });
    await h.local.flushDeliveries();
    expect(types()).toEqual(['customer.created']);
    expect((await h.stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([a.id]);
  });

  it('refuses what Stripe refuses, naming the parameter', async () => {
    const refused = async (params: Record<string, unknown>) => {
      try {
        await h.stripe.webhookEndpoints.create(params as unknown as Stripe.WebhookEndpointCreateParams);
      } catch (err) {
        return {
          status: (err as Stripe.errors.StripeError).statusCode,
          param: (err as Stripe.errors.StripeError).param,
        };
      }
      throw new Error('accepted');
    };
    expect(await refused({ enabled_events: ['*'] })).toEqual({ status: 400, param: 'url' });
    expect(await refused({ url: receiver.url })).toEqual({ status: 400, param: 'enabled_events' });
    expect(await refused({ url: 'ftp://x.io', enabled_events: ['*'] })).toEqual({
      status: 400,
      param: 'url',
    });
    expect(await refused({ url: receiver.url, enabled_events: ['not an event'] })).toEqual({
      status: 400,
      param: 'enabled_events[0]',
    });
    await expect(h.stripe.webhookEndpoints.retrieve('we_missing')).rejects.toMatchObject({ statusCode: 404 });
    await expect(h.stripe.webhookEndpoints.del('we_missing')).rejects.toMatchObject({ statusCode: 404 });
  });
});
