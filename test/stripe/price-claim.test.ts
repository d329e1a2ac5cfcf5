import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureStripePrice } from '../../src/app/catalog/prices.js';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { seedOffer } from './harness.js';

/**
 * The first checkouts of a new price race to create its Stripe Product and Price. Stripe refuses a
 * request whose idempotency key is still in flight (409), so concurrent buyers must not all send
 * the create: one claims the price in the database and creates, the others wait for its result.
 */

/** A pass-through HTTP relay to the local Stripe that counts the requests Rolegate sends. */
async function countingRelay(ls: LocalStripe): Promise<{ url: string; sent: string[]; server: Server }> {
  const sent: string[] = [];
  const server = createServer((req, res) => {
    sent.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    const upstream = httpRequest(
      { host: ls.host, port: ls.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, server };
}

describeEachBackend('creating the Stripe catalog of a new price', ({ dialect }) => {
  let ls: LocalStripe;
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  let t: TestApp;
  let stripe: Stripe;
  let serverId: string;

  beforeAll(async () => {
    ls = await startLocalStripe({ sweepIntervalMs: null });
    relay = await countingRelay(ls);
    stripe = new Stripe(ls.secretKey, ls.stripeConfig);
    t = await startTestApp({
      dialect,
      worker: false,
      env: {
        STRIPE_SECRET_KEY: ls.secretKey,
        STRIPE_API_URL: relay.url,
        STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
      },
    });
    serverId = (await seedServer(t.app.ctx.db)).id;
  });
  afterAll(async () => {
    await t.stop();
    relay.server.close();
    await ls.close();
  });

  async function catalogOf(entitlementId: string) {
    const products = (await stripe.products.list({ limit: 100 })).data.filter(
      (p) => p.metadata.entitlement_id === entitlementId,
    );
    const prices = (await stripe.prices.list({ limit: 100 })).data.filter(
      (p) => p.metadata.entitlement_id === entitlementId,
    );
    return { products: products.length, prices: prices.length };
  }

  const creates = () => ({
    products: relay.sent.filter((r) => r === 'POST /v1/products').length,
    prices: relay.sent.filter((r) => r === 'POST /v1/prices').length,
  });

  it('ten concurrent first checkouts of a new price create one Product and one Price, with one create each', async () => {
    const { entitlementId } = await seedOffer({ t, serverId }, { access: 'lifetime', recurring: false });
    relay.sent.length = 0;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.api('/api/checkout-sessions', {
          method: 'POST',
          body: { entitlement_id: entitlementId, email: `first-${i}@example.com` },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(await catalogOf(entitlementId)).toEqual({ products: 1, prices: 1 });
    expect(creates()).toEqual({ products: 1, prices: 1 });
  });

  it('ten concurrent calls for one price all get the same Stripe Price', async () => {
    const { entitlementId, priceId } = await seedOffer({ t, serverId });
    relay.sent.length = 0;
    const ids = await Promise.all(Array.from({ length: 10 }, () => ensureStripePrice(t.app.ctx, priceId)));
    expect(new Set(ids).size).toBe(1);
    expect(await catalogOf(entitlementId)).toEqual({ products: 1, prices: 1 });
    expect(creates()).toEqual({ products: 1, prices: 1 });
  });

  it('a claim left by a process that died is taken over once it expires', async () => {
    const { entitlementId, priceId } = await seedOffer({ t, serverId });
    await t.app.ctx.db.kysely
      .insertInto('stripe_catalog_claims')
      .values({ entitlement_id: entitlementId, holder: 'crashed-process', claimed_until: Date.now() - 1 })
      .execute();
    const id = await ensureStripePrice(t.app.ctx, priceId);
    expect(id).toMatch(/^price_/);
    expect(await catalogOf(entitlementId)).toEqual({ products: 1, prices: 1 });
  });
});
