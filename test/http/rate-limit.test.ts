import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { seedOffer } from '../stripe/harness.js';

/**
 * Public endpoints are limited per client address: a form that starts a checkout, a page, and the
 * signed endpoints each have their own budget, a refused request is a 429 in the one error shape
 * with Retry-After, and it creates nothing — no customer, no Stripe object.
 */

interface World {
  t: TestApp;
  ls: LocalStripe;
  stripe: Stripe;
  entitlementId: string;
  stop(): Promise<void>;
}

async function startWorld(dialect: Dialect, env: Record<string, string>): Promise<World> {
  const ls = await startLocalStripe({ sweepIntervalMs: null });
  const t = await startTestApp({
    dialect,
    worker: false,
    env: {
      STRIPE_SECRET_KEY: ls.secretKey,
      STRIPE_API_URL: ls.url,
      STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
      ...env,
    },
  });
  const server = await seedServer(t.app.ctx.db);
  const { entitlementId } = await seedOffer({ t, serverId: server.id });
  return {
    t,
    ls,
    stripe: new Stripe(ls.secretKey, ls.stripeConfig),
    entitlementId,
    async stop() {
      await t.stop();
      await ls.close();
    },
  };
}

function postOffer(w: World, email: string, headers: Record<string, string> = {}) {
  return fetch(`${w.t.url}/offers/${w.entitlementId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ email }).toString(),
    redirect: 'manual',
  });
}

async function customersEverywhere(w: World) {
  const row = await w.t.app.ctx.db.kysely
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const stripeCustomers = await w.stripe.customers.list({ limit: 100 });
  const sessions = await w.stripe.checkout.sessions.list({ limit: 100 });
  return { rolegate: Number(row.n), stripe: stripeCustomers.data.length, sessions: sessions.data.length };
}

async function expectRateLimited(res: Response) {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(body).toEqual({
    error: {
      code: 'rate_limited',
      message: expect.stringMatching(/\S/),
      request_id: expect.stringMatching(/^req_/),
    },
  });
}

const pgReason = await postgresUnavailable();

for (const dialect of backends) {
  (dialect === 'postgres' && pgReason ? describe.skip : describe)(`rate limits [${dialect}]`, () => {
    describe('for a client connecting directly', () => {
      let w: World;
      beforeAll(async () => {
        w = await startWorld(dialect, {
          RATE_LIMIT_FORMS_PER_MINUTE: '3',
          RATE_LIMIT_PAGES_PER_MINUTE: '5',
          RATE_LIMIT_SIGNED_PER_MINUTE: '8',
        });
      });
      afterAll(() => w.stop());

      it('the offer form answers 3 anonymous posts, refuses the 4th with 429 and creates nothing for it', async () => {
        for (let i = 0; i < 3; i++) {
          const res = await postOffer(w, `buyer${i}@example.com`);
          expect(res.status).toBe(303);
        }
        const before = await customersEverywhere(w);
        expect(before).toEqual({ rolegate: 3, stripe: 0, sessions: 3 });
        await expectRateLimited(await postOffer(w, 'buyer3@example.com'));
        expect(await customersEverywhere(w)).toEqual(before);
      });

      it('a made-up X-Forwarded-For does not buy a fresh budget when no proxy is trusted', async () => {
        await expectRateLimited(
          await postOffer(w, 'spoof@example.com', { 'x-forwarded-for': '198.51.100.7' }),
        );
      });

      it('pages have their own budget: the 6th view of an offer page is refused', async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++)
          statuses.push((await fetch(`${w.t.url}/offers/${w.entitlementId}`)).status);
        expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      });

      it('the Stripe webhook has its own, higher budget than the public pages', async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 9; i++) {
          const res = await fetch(`${w.t.url}/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
            body: '{}',
          });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 429]);
      });

      it('the API, behind its key, is not limited per address', async () => {
        for (let i = 0; i < 12; i++) expect((await w.t.api('/api/grants')).status).toBe(200);
      });
    });

    describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
      let w: World;
      beforeAll(async () => {
        w = await startWorld(dialect, { RATE_LIMIT_FORMS_PER_MINUTE: '1', TRUST_PROXY: 'true' });
      });
      afterAll(() => w.stop());

      it('each client address the proxy reports has its own budget', async () => {
        const alice = { 'x-forwarded-for': '203.0.113.1' };
        const bob = { 'x-forwarded-for': '203.0.113.2' };
        expect((await postOffer(w, 'alice@example.com', alice)).status).toBe(303);
        await expectRateLimited(await postOffer(w, 'alice2@example.com', alice));
        expect((await postOffer(w, 'bob@example.com', bob)).status).toBe(303);
      });
    });
  });
}
