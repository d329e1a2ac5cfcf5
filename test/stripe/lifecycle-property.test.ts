import fc from 'fast-check';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckout } from '../../src/app/billing/checkout.js';
import { ensureStripePrice } from '../../src/app/catalog/prices.js';
import { applyStripeEvent } from '../../src/app/billing/process.js';
import { SandboxActionError } from '@rolegate/local-stripe';
import { grantRow, seedOffer, startStripeWorld, type StripeWorld } from './harness.js';

/**
 * ≥ 500 random lifecycles per run. Each buys a monthly subscription, then applies random Stripe-side
 * operations; after every operation a random part of the events emitted so far is processed,
 * shuffled and with duplicates (the rest waits: delay and reordering across operations), and at the
 * end everything left is processed the same way. The grant must then be what the FINAL Stripe state
 * implies. Events are fed to the processor directly (the signed-webhook path is tested elsewhere).
 */
const RUNS = Number(process.env.STRIPE_PROPERTY_RUNS ?? 500);

const opArb = fc.oneof(
  fc.constant({ op: 'renew' } as const),
  fc.constant({ op: 'failPayment' } as const),
  fc.constant({ op: 'recoverPayment' } as const),
  fc.constant({ op: 'markUnpaid' } as const),
  fc.constant({ op: 'cancelAfterFailures' } as const),
  fc.constant({ op: 'pause' } as const),
  fc.constant({ op: 'resume' } as const),
  fc.boolean().map((value) => ({ op: 'cancelAtPeriodEnd', value }) as const),
  fc.constant({ op: 'cancelNow' } as const),
  fc.constant({ op: 'changePlan' } as const),
  fc.boolean().map((full) => ({ op: 'refund', full }) as const),
  fc.constant({ op: 'openDispute' } as const),
  fc
    .constantFrom('won' as const, 'lost' as const)
    .map((outcome) => ({ op: 'closeDispute', outcome }) as const),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const OPEN_DISPUTE = (s: string) => !['won', 'lost', 'warning_closed', 'prevented'].includes(s);

describe('random Stripe lifecycles with duplicated and reordered events [sqlite]', () => {
  let w: StripeWorld;
  let sdk: Stripe;
  let basic: { entitlementId: string; priceId: string };
  let pro: { entitlementId: string; priceId: string };
  let proStripePrice: string;
  const entitlementOfPrice = new Map<string, string>();

  beforeAll(async () => {
    w = await startStripeWorld('sqlite', { worker: false });
    w.ls.removeWebhookEndpoint(`${w.t.url}/webhooks/stripe`);
    sdk = new Stripe(w.ls.secretKey, { ...w.ls.stripeConfig, maxNetworkRetries: 0 });
    const policy = {
      disputePolicy: 'suspend',
      partialRefundPolicy: 'keep',
      restoreOnDisputeWon: true,
      graceDays: 3,
    } as const;
    basic = await seedOffer(w, policy);
    pro = await seedOffer(w, { ...policy, amount: 2500 });
    entitlementOfPrice.set(await ensureStripePrice(w.t.app.ctx, basic.priceId), basic.entitlementId);
    proStripePrice = await ensureStripePrice(w.t.app.ctx, pro.priceId);
    entitlementOfPrice.set(proStripePrice, pro.entitlementId);
  });
  afterAll(async () => w?.stop());

  async function perform(op: Op, subId: string, customerId: string, rand: () => number, disputes: string[]) {
    const sim = w.ls.simulator;
    const charges = async () =>
      (await sdk.charges.list({ customer: customerId, limit: 100 })).data.filter(
        (c) => c.status === 'succeeded' && !c.refunded,
      );
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    switch (op.op) {
      case 'renew':
      case 'failPayment':
      case 'recoverPayment':
      case 'markUnpaid':
      case 'cancelAfterFailures':
      case 'pause':
      case 'resume':
      case 'cancelNow':
        sim[op.op](subId);
        return;
      case 'cancelAtPeriodEnd':
        sim.cancelAtPeriodEnd(subId, op.value);
        return;
      case 'changePlan':
        sim.changePlan(subId, proStripePrice);
        return;
      case 'refund': {
        const c = pick(await charges());
        if (c)
          sim.refund(
            c.id,
            op.full ? {} : { amount: Math.max(1, Math.floor((c.amount - c.amount_refunded) / 3)) },
          );
        return;
      }
      case 'openDispute': {
        const c = pick((await charges()).filter((x) => !x.disputed));
        if (c) disputes.push(sim.openDispute(c.id).id);
        return;
      }
      case 'closeDispute': {
        const id = pick(disputes);
        if (id) sim.closeDispute(id, op.outcome);
        return;
      }
    }
  }

  /** What the final Stripe state implies for the grant. */
  async function expected(subId: string, customerId: string) {
    const sub = await sdk.subscriptions.retrieve(subId);
    const charges = (await sdk.charges.list({ customer: customerId, limit: 100 })).data;
    const disputes = [];
    for (const c of charges) disputes.push(...(await sdk.disputes.list({ charge: c.id, limit: 100 })).data);
    const revoked =
      sub.status === 'canceled' ||
      charges.some((c) => c.refunded) ||
      disputes.some((d) => d.status === 'lost');
    if (revoked) return { status: 'revoked', active: 0 };
    const entitlementId = entitlementOfPrice.get(sub.items.data[0]!.price.id);
    if (disputes.some((d) => OPEN_DISPUTE(d.status)))
      return { status: 'suspended', active: 0, entitlement_id: entitlementId };
    if (sub.status === 'unpaid' || sub.status === 'paused')
      return { status: 'suspended', active: 0, entitlement_id: entitlementId };
    return { active: 1, entitlement_id: entitlementId };
  }

  it(`every sequence ends with the grant the final Stripe state implies (${RUNS} runs)`, async () => {
    const ctx = w.t.app.ctx;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 6 }), fc.integer(), async (ops, seed) => {
        const rand = mulberry32(seed);
        if (process.env.STRIPE_PROPERTY_TRACE)
          console.error(`run ${n} ${JSON.stringify(ops)} ${new Date().toISOString()}`);
        const link = await createCheckout(ctx, {
          entitlementId: basic.entitlementId,
          email: `p${n++}-${seed}@example.com`,
        });
        if (link.kind !== 'checkout') throw new Error('expected a checkout');
        const grant = await grantRow(w, link.grantId);
        const from = w.ls.events().length;
        w.ls.completeCheckout(grant.stripe_checkout_session_id!, { outcome: 'paid' });
        const session = await sdk.checkout.sessions.retrieve(grant.stripe_checkout_session_id!);
        const subId = session.subscription as string;
        const customerId = session.customer as string;
        const disputes: string[] = [];
        let delivered = from;
        let pending: Stripe.Event[] = [];
        const deliver = async (all: boolean) => {
          pending.push(...w.ls.events().slice(delivered));
          delivered = w.ls.events().length;
          const now = all ? pending : pending.filter(() => rand() < 0.5);
          pending = all ? [] : pending.filter((e) => !now.includes(e));
          const batch = [...now, ...now.filter(() => rand() < 0.3)];
          shuffle(batch, rand);
          for (const e of batch) {
            const id = (e.data.object as { id?: string }).id;
            if (id) await applyStripeEvent(ctx, { type: e.type, created: e.created, objectId: id });
          }
        };
        await deliver(false);
        for (const op of ops) {
          try {
            await perform(op, subId, customerId, rand, disputes);
          } catch (err) {
            if (!(err instanceof SandboxActionError)) throw err;
          }
          await deliver(false);
        }
        await deliver(true);
        const want = await expected(subId, customerId);
        const rows = await ctx.db.kysely
          .selectFrom('grants')
          .selectAll()
          .where('customer_id', '=', grant.customer_id)
          .orderBy('created_at', 'desc')
          .execute();
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject(want);
      }),
      { numRuns: RUNS, endOnFailure: process.env.STRIPE_PROPERTY_SHRINK !== '1' },
    );
  }, 300_000);
});

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rand: () => number) {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
