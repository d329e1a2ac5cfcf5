import { randomBytes } from 'node:crypto';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import type { Dialect } from '../../src/adapters/store/db.js';
import { newId } from '../../src/core/ids.js';
import { entitlementRow } from '../../src/app/catalog/entitlements.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { stripeProcessEventJob } from '../../src/app/billing/jobs.js';

/**
 * A real Rolegate wired to a real local Stripe: the SDK talks to it over HTTP and its signed
 * webhooks arrive at Rolegate's `/webhooks/stripe`.
 */
export interface StripeWorld {
  t: TestApp;
  ls: LocalStripe;
  serverId: string;
  stop(): Promise<void>;
}

export async function startStripeWorld(
  dialect: Dialect,
  options: { worker?: boolean } = {},
): Promise<StripeWorld> {
  const ls = await startLocalStripe({ sweepIntervalMs: null });
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
  const t = await startTestApp({
    dialect,
    worker: options.worker ?? true,
    env: { STRIPE_SECRET_KEY: ls.secretKey, STRIPE_API_URL: ls.url, STRIPE_WEBHOOK_SECRET: secret },
  });
  ls.addWebhookEndpoint(`${t.url}/webhooks/stripe`, { secret });
  const server = await seedServer(t.app.ctx.db);
  return {
    t,
    ls,
    serverId: server.id,
    async stop() {
      await ls.close();
      await t.stop();
    },
  };
}

export interface OfferOptions {
  access?: 'subscription' | 'days' | 'lifetime';
  days?: number;
  recurring?: boolean;
  amount?: number;
  trialDays?: number;
  graceDays?: number;
  partialRefundPolicy?: 'revoke' | 'keep';
  disputePolicy?: 'revoke' | 'suspend';
  restoreOnDisputeWon?: boolean;
  saleEndsAt?: number | null;
}

/** Inserts an entitlement with one price (as the entitlements API would). */
export async function seedOffer(w: Pick<StripeWorld, 't' | 'serverId'>, o: OfferOptions = {}) {
  const db = w.t.app.ctx.db.kysely;
  const now = Date.now();
  const recurring = o.recurring ?? (o.access ?? 'subscription') === 'subscription';
  const entitlementId = newId('entitlement', now);
  await db
    .insertInto('entitlements')
    .values(
      entitlementRow({
        id: entitlementId,
        serverId: w.serverId,
        name: `Offer ${entitlementId.slice(-4)}`,
        now,
        description: 'Access to the VIP channels',
        access_kind: o.access ?? 'subscription',
        access_days: o.days ?? null,
        trial_days: o.trialDays ?? 0,
        sale_ends_at: o.saleEndsAt ?? null,
        grace_days: o.graceDays ?? 3,
        partial_refund_policy: o.partialRefundPolicy ?? 'keep',
        dispute_policy: o.disputePolicy ?? 'revoke',
        restore_on_dispute_won: o.restoreOnDisputeWon === false ? 0 : 1,
      }),
    )
    .execute();
  const priceId = newId('price', now);
  await db
    .insertInto('prices')
    .values({
      id: priceId,
      entitlement_id: entitlementId,
      kind: recurring ? 'recurring' : 'one_time',
      amount: o.amount ?? 1000,
      currency: 'usd',
      interval: recurring ? 'month' : null,
      interval_count: recurring ? 1 : null,
      stripe_product_id: null,
      stripe_price_id: null,
      active: 1,
      created_at: now,
    })
    .execute();
  return { entitlementId, priceId };
}

export async function grantRow(w: Pick<StripeWorld, 't'>, id: string) {
  return w.t.app.ctx.db.kysely
    .selectFrom('grants')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

/** Starts a checkout through the API; returns the grant and the Stripe session id. */
export async function startCheckout(
  w: StripeWorld,
  entitlementId: string,
  email = `buyer-${randomBytes(3).toString('hex')}@example.com`,
) {
  const res = await w.t.api('/api/checkout-sessions', {
    method: 'POST',
    body: { entitlement_id: entitlementId, email },
  });
  if (res.status !== 200) throw new Error(`checkout failed: ${res.status} ${JSON.stringify(res.body)}`);
  const grantId = res.body.grant_id as string;
  const g = await grantRow(w, grantId);
  return { grantId, sessionId: g.stripe_checkout_session_id!, url: res.body.url as string, email };
}

/** Waits until every webhook was delivered and every stored Stripe event processed. */
export async function settle(w: Pick<StripeWorld, 't' | 'ls'>): Promise<void> {
  await w.ls.flushDeliveries();
  await eventually(
    async () => {
      const db = w.t.app.ctx.db.kysely;
      const jobs = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', stripeProcessEventJob.kind)
        .executeTakeFirstOrThrow();
      const open = await db
        .selectFrom('inbox_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('processed_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(jobs.n) === 0 && Number(open.n) === 0;
    },
    15_000,
    'stripe events processed',
  );
}

/** Buys and pays; returns the grant id and the subscription (if any). */
export async function buy(w: StripeWorld, entitlementId: string) {
  const c = await startCheckout(w, entitlementId);
  w.ls.completeCheckout(c.sessionId, { outcome: 'paid' });
  await settle(w);
  const g = await grantRow(w, c.grantId);
  return { ...c, subscriptionId: g.stripe_subscription_id };
}

/** Runs a suite on SQLite and PostgreSQL, each with its own Rolegate and local Stripe. */
export async function eachBackend(name: string, suite: (world: () => StripeWorld) => void) {
  const { describe, beforeAll, afterAll } = await import('vitest');
  const { backends } = await import('../helpers/backends.js');
  const { postgresUnavailable } = await import('../helpers/db.js');
  const pgReason = await postgresUnavailable();
  for (const dialect of backends) {
    const skip = dialect === 'postgres' && pgReason;
    (skip ? describe.skip : describe)(`${name} [${dialect}]`, () => {
      let w: StripeWorld | undefined;
      beforeAll(async () => {
        w = await startStripeWorld(dialect);
      });
      afterAll(async () => w?.stop());
      suite(() => {
        if (!w) throw new Error('world not ready');
        return w;
      });
    });
  }
}
