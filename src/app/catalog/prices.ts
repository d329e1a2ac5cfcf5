import { randomBytes } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.js';
import type { AppContext } from '../shared/context.js';
import { requireStripe } from '../shared/services.js';
import type { StripePort } from '../../core/ports/stripe.js';
import {
  claimStripeCatalog,
  entitlementById,
  priceById,
  releaseStripeCatalog,
  setStripeTwin,
  stripeProductOfEntitlement,
  type PriceRow,
} from './store.js';

export { priceByStripeId } from './store.js';
export type { PriceRow };

/**
 * How a price is sold through Checkout. Recurring prices are subscriptions (any interval); one-time
 * prices are payment mode — N-day access ends at Rolegate's own `ends_at` (Checkout has no
 * `cancel_at`), lifetime never ends.
 */
export function checkoutModeOf(price: Pick<PriceRow, 'kind'>): 'payment' | 'subscription' {
  return price.kind === 'recurring' ? 'subscription' : 'payment';
}

const intervals = ['day', 'week', 'month', 'year'] as const;
type Interval = (typeof intervals)[number];
const isInterval = (v: string | null): v is Interval => intervals.includes(v as Interval);

/** How long a claim covers its holder's Stripe calls (the SDK's 20 s timeout, retried twice, fits). */
const CLAIM_MS = 90_000;
/** How often a waiting caller looks for the holder's result. */
const WAIT_POLL_MS = 50;

/**
 * Claims the right to create the Stripe catalog of an entitlement: inserts the claim row, or takes
 * over one whose holder let it expire (it died). True when this caller holds the claim.
 */
async function claimCatalog(ctx: AppContext, entitlementId: string, holder: string): Promise<boolean> {
  const now = ctx.clock.now();
  return claimStripeCatalog(ctx.db.kysely, entitlementId, holder, now, now + CLAIM_MS);
}

async function releaseCatalog(ctx: AppContext, entitlementId: string, holder: string): Promise<void> {
  await releaseStripeCatalog(ctx.db.kysely, entitlementId, holder);
}

async function loadPrice(ctx: AppContext, priceId: string): Promise<PriceRow> {
  const price = await priceById(ctx.db.kysely, priceId);
  if (!price) throw notFound('price', priceId);
  return price;
}

/** Creates the Product (one per entitlement, shared by its prices) and the Price; the claim is held. */
async function createStripeCatalog(ctx: AppContext, stripe: StripePort, priceId: string): Promise<string> {
  // Re-read under the claim: the previous holder may have finished just before we claimed.
  const price = await loadPrice(ctx, priceId);
  if (price.stripe_price_id) return price.stripe_price_id;
  const entitlement = await entitlementById(ctx.db.kysely, price.entitlement_id);
  if (!entitlement) throw notFound('entitlement', price.entitlement_id);
  const productId =
    (await stripeProductOfEntitlement(ctx.db.kysely, entitlement.id)) ??
    (await stripe.createProduct(
      { name: entitlement.name, metadata: { entitlement_id: entitlement.id } },
      `product:${entitlement.id}`,
    ));

  let recurring: { interval: Interval; intervalCount: number } | null = null;
  if (price.kind === 'recurring') {
    if (!isInterval(price.interval))
      throw new AppError('unprocessable', `price ${price.id} is recurring but has no valid interval`);
    recurring = { interval: price.interval, intervalCount: price.interval_count ?? 1 };
  }
  const stripePriceId = await stripe.createPrice(
    {
      productId,
      amount: price.amount,
      currency: price.currency,
      recurring,
      metadata: { price_id: price.id, entitlement_id: entitlement.id },
    },
    `price:${price.id}`,
  );
  await setStripeTwin(ctx.db.kysely, price.id, { productId, priceId: stripePriceId }, true);
  return (await loadPrice(ctx, priceId)).stripe_price_id ?? stripePriceId;
}

/**
 * The Stripe Price id behind a Rolegate price, creating the Product (one per entitlement) and the
 * Price on first use. Concurrent first buyers must not all send those creates (Stripe answers 409
 * to an idempotency key still in flight, and an expired key would create a duplicate): one claims
 * the entitlement's catalog in the database and creates, the others wait for its result
 * (docs/decisions/0009). The idempotency keys stay, for the holder's own retries.
 */
export async function ensureStripePrice(ctx: AppContext, priceId: string): Promise<string> {
  const price = await loadPrice(ctx, priceId);
  if (price.stripe_price_id) return price.stripe_price_id;
  const stripe = requireStripe(ctx);
  const holder = randomBytes(9).toString('base64url');
  const giveUpAt = performance.now() + 2 * CLAIM_MS;
  for (;;) {
    if (await claimCatalog(ctx, price.entitlement_id, holder)) {
      try {
        return await createStripeCatalog(ctx, stripe, priceId);
      } finally {
        await releaseCatalog(ctx, price.entitlement_id, holder);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    const current = await loadPrice(ctx, priceId);
    if (current.stripe_price_id) return current.stripe_price_id;
    if (performance.now() > giveUpAt)
      throw new AppError(
        'service_unavailable',
        'this price is still being set up in Stripe; try again shortly',
      );
  }
}

/**
 * Links a Rolegate price to an existing Stripe Price (a merchant's catalog) after checking that
 * the two agree on one-time vs recurring, amount and currency.
 */
export async function linkStripePrice(ctx: AppContext, priceId: string, stripePriceId: string) {
  const price = await priceById(ctx.db.kysely, priceId);
  if (!price) throw notFound('price', priceId);
  const remote = await requireStripe(ctx).retrievePrice(stripePriceId);
  const problems: string[] = [];
  if (!remote.active) problems.push('the Stripe price is archived');
  if ((remote.recurring !== null) !== (price.kind === 'recurring'))
    problems.push(
      `the Stripe price is ${remote.recurring ? 'recurring' : 'one-time'} but this price is ${price.kind}`,
    );
  if (remote.amount !== null && remote.amount !== price.amount)
    problems.push(`amounts differ (${remote.amount} vs ${price.amount})`);
  if (remote.currency.toLowerCase() !== price.currency.toLowerCase())
    problems.push(`currencies differ (${remote.currency} vs ${price.currency})`);
  if (problems.length)
    throw new AppError('unprocessable', `cannot link ${stripePriceId}: ${problems.join('; ')}`);
  await setStripeTwin(ctx.db.kysely, price.id, { productId: remote.productId, priceId: remote.id }, false);
}
