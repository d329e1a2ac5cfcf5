import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monthlyPrice, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ secretKey: 'sk_test_local_api' });
});
afterEach(async () => {
  await h.close();
});

describe('catalog and customers through the official client', () => {
  it('creates, retrieves and updates a product, emitting product.updated with previous_attributes', async () => {
    const product = await h.stripe.products.create({ name: 'VIP', metadata: { offer_id: 'off_1' } });
    expect(product).toMatchObject({
      object: 'product',
      name: 'VIP',
      active: true,
      metadata: { offer_id: 'off_1' },
    });
    expect(product.id).toMatch(/^prod_/);
    const updated = await h.stripe.products.update(product.id, { name: 'VIP+', metadata: { offer_id: '' } });
    expect(updated.name).toBe('VIP+');
    expect(updated.metadata).toEqual({});
    expect((await h.stripe.products.retrieve(product.id)).name).toBe('VIP+');
    const event = h.local.events().find((e) => e.type === 'product.updated');
    expect(event?.data.previous_attributes).toMatchObject({ name: 'VIP', metadata: { offer_id: 'off_1' } });
  });

  it('creates recurring prices with interval_count and lists them by product', async () => {
    const product = await h.stripe.products.create({ name: 'Quarterly' });
    const price = await h.stripe.prices.create({
      product: product.id,
      currency: 'EUR',
      unit_amount: 2500,
      recurring: { interval: 'month', interval_count: 3 },
    });
    expect(price).toMatchObject({ type: 'recurring', currency: 'eur', unit_amount: 2500 });
    expect(price.recurring).toMatchObject({ interval: 'month', interval_count: 3, usage_type: 'licensed' });
    expect(String(price.unit_amount_decimal)).toBe('2500');
    await h.stripe.prices.create({ product_data: { name: 'Other' }, currency: 'usd', unit_amount: 100 });
    const list = await h.stripe.prices.list({ product: product.id });
    expect(list.data.map((p) => p.id)).toEqual([price.id]);
    expect((await h.stripe.prices.retrieve(price.id)).id).toBe(price.id);
  });

  it('creates, updates and lists customers by exact email', async () => {
    const a = await h.stripe.customers.create({ email: 'a@example.com', name: 'A' });
    await h.stripe.customers.create({ email: 'b@example.com' });
    const updated = await h.stripe.customers.update(a.id, { metadata: { discord_user_id: '42' } });
    expect(updated.metadata).toEqual({ discord_user_id: '42' });
    const found = await h.stripe.customers.list({ email: 'a@example.com' });
    expect(found.data.map((c) => c.id)).toEqual([a.id]);
  });

  it('pages lists newest first with limit, starting_after and ending_before', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.stripe.customers.create({ email: `c${i}@x.io` })).id);
    const newest = [...ids].reverse();
    const first = await h.stripe.customers.list({ limit: 2 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(first.data.map((c) => c.id)).toEqual(newest.slice(0, 2));
    const second = await h.stripe.customers.list({ limit: 2, starting_after: String(newest[1]) });
    expect(second.data.map((c) => c.id)).toEqual(newest.slice(2, 4));
    const back = await h.stripe.customers.list({ limit: 2, ending_before: String(newest[2]) });
    expect(back.data.map((c) => c.id)).toEqual(newest.slice(0, 2));
    expect(back.has_more).toBe(false);
    const all: string[] = [];
    for await (const c of h.stripe.customers.list({ limit: 2 })) all.push(c.id);
    expect(all).toEqual(newest);
  });
});

describe('errors in Stripe’s shape', () => {
  it('a wrong key is a 401 StripeAuthenticationError', async () => {
    const wrong = new Stripe('sk_test_wrong', { ...h.local.stripeConfig, maxNetworkRetries: 0 });
    await expect(wrong.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const raw = await fetch(`${h.local.url}/v1/customers`);
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('an unknown id is a 404 resource_missing StripeInvalidRequestError', async () => {
    const error = await h.stripe.subscriptions.retrieve('sub_missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });
    expect((error as Error).message).toBe("No such subscription: 'sub_missing'");
  });

  it('a missing parameter is a 400 parameter_missing naming the param', async () => {
    const res = await fetch(`${h.local.url}/v1/products`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.local.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'description=x',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'parameter_missing',
        param: 'name',
        message: 'Missing required param: name.',
      },
    });
  });

  it('an unknown parameter and an invalid value are rejected', async () => {
    const product = await h.stripe.products.create({ name: 'x' });
    const unknown = await h.stripe.prices
      .create({
        product: product.id,
        currency: 'usd',
        unit_amount: 1,
        colour: 'red',
      } as Stripe.PriceCreateParams)
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
    const invalid = await h.stripe.prices
      .create({
        product: product.id,
        currency: 'usd',
        unit_amount: 1,
        recurring: { interval: 'fortnight' as 'day' },
      })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(invalid).toMatchObject({ statusCode: 400, param: 'recurring[interval]' });
  });

  it('an unknown route is a 404 with Stripe’s message', async () => {
    const res = await fetch(`${h.local.url}/v1/nothing_here`, {
      headers: { authorization: `Bearer ${h.local.secretKey}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /^Unrecognized request URL \(GET: \/v1\/nothing_here\)/,
    );
  });
});

describe('idempotency keys', () => {
  it('replays the first response for the same key and parameters', async () => {
    const a = await h.stripe.customers.create({ email: 'same@x.io' }, { idempotencyKey: 'key-1' });
    const b = await h.stripe.customers.create({ email: 'same@x.io' }, { idempotencyKey: 'key-1' });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.customers.list()).data).toHaveLength(1);
    expect(h.local.events().filter((e) => e.type === 'customer.created')).toHaveLength(1);
  });

  it('rejects the same key with different parameters as an idempotency_error', async () => {
    await h.stripe.customers.create({ email: 'one@x.io' }, { idempotencyKey: 'key-2' });
    const error = await h.stripe.customers
      .create({ email: 'two@x.io' }, { idempotencyKey: 'key-2' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
  });

  it('records the request id and idempotency key on the events a request caused', async () => {
    const customer = await h.stripe.customers.create({ email: 'r@x.io' }, { idempotencyKey: 'key-3' });
    const event = h.local.events().find((e) => e.type === 'customer.created');
    expect(event?.request).toEqual({ id: customer.lastResponse.requestId, idempotency_key: 'key-3' });
  });
});

describe('expand[]', () => {
  it('expands ids and rejects properties that cannot be expanded', async () => {
    const price = await monthlyPrice(h.stripe);
    const expanded = await h.stripe.prices.retrieve(price.id, { expand: ['product'] });
    expect(expanded.product).toMatchObject({ object: 'product', name: 'VIP role' });
    const error = await h.stripe.prices.retrieve(price.id, { expand: ['nickname'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, param: 'expand' });
  });
});
