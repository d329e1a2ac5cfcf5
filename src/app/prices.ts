import type { Selectable } from 'kysely';
import type { Executor } from '../adapters/store/db.js';
import type { PricesTable } from '../adapters/store/schema.js';
import { AppError, notFound } from '../core/errors.js';
import type { AppContext } from './context.js';
import type { StripePort } from './ports/stripe.js';

export type PriceRow = Selectable<PricesTable>;

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

export function requireStripe(ctx: AppContext): StripePort {
  const stripe = ctx.ports.stripe;
  if (!stripe)
    throw new AppError(
      'service_unavailable',
      'Stripe is not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET',
    );
  return stripe;
}

/**
 * The Stripe Price id behind a Rolegate price, creating the Product (one per entitlement) and the
 * Price on first use. Deterministic idempotency keys make concurrent first buyers converge on one
 * Product and one Price.
 */
export async function ensureStripePrice(ctx: AppContext, priceId: string): Promise<string> {
  const price = await ctx.db.kysely
    .selectFrom('prices')
    .selectAll()
    .where('id', '=', priceId)
    .executeTakeFirst();
  if (!price) throw notFound('price', priceId);
  if (price.stripe_price_id) return price.stripe_price_id;
  const stripe = requireStripe(ctx);
  const entitlement = await ctx.db.kysely
    .selectFrom('entitlements')
    .select(['id', 'name'])
    .where('id', '=', price.entitlement_id)
    .executeTakeFirstOrThrow();

  const sibling = await ctx.db.kysely
    .selectFrom('prices')
    .select('stripe_product_id')
    .where('entitlement_id', '=', entitlement.id)
    .where('stripe_product_id', 'is not', null)
    .executeTakeFirst();
  const productId =
    sibling?.stripe_product_id ??
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
  await ctx.db.kysely
    .updateTable('prices')
    .set({ stripe_product_id: productId, stripe_price_id: stripePriceId })
    .where('id', '=', price.id)
    .execute();
  return stripePriceId;
}

/**
 * Links a Rolegate price to an existing Stripe Price (a merchant's catalog) after checking that
 * the two agree on one-time vs recurring, amount and currency.
 */
export async function linkStripePrice(ctx: AppContext, priceId: string, stripePriceId: string) {
  const price = await ctx.db.kysely
    .selectFrom('prices')
    .selectAll()
    .where('id', '=', priceId)
    .executeTakeFirst();
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
  await ctx.db.kysely
    .updateTable('prices')
    .set({ stripe_price_id: remote.id, stripe_product_id: remote.productId })
    .where('id', '=', price.id)
    .execute();
}

/** The Rolegate price (and so the entitlement) a Stripe Price id sells; null when not ours. */
export async function priceByStripeId(db: Executor, stripePriceId: string) {
  return (
    (await db
      .selectFrom('prices')
      .selectAll()
      .where('stripe_price_id', '=', stripePriceId)
      .executeTakeFirst()) ?? null
  );
}
