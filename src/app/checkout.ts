import { AppError, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { inTransaction, type AppContext } from './context.js';
import { grantLinkUrl } from './discord-link.js';
import { applyGrantEvent, createGrant, type GrantRow } from './grants.js';
import type { CheckoutLink, CheckoutPort, CheckoutRequest } from './ports.js';
import { checkoutModeOf, ensureStripePrice, requireStripe, type PriceRow } from './prices.js';

/** Stripe keeps an unused session open for 24 h; reuse one younger than this instead of a second. */
const REUSE_OPEN_SESSION_MS = 20 * 3_600_000;

/** The entitlement and price a checkout sells, or a clear reason why it is not for sale. */
export async function offerFor(ctx: AppContext, entitlementId: string, priceId?: string) {
  const entitlement = await ctx.db.kysely
    .selectFrom('entitlements')
    .selectAll()
    .where('id', '=', entitlementId)
    .executeTakeFirst();
  if (!entitlement) throw notFound('entitlement', entitlementId);
  if (entitlement.archived_at !== null)
    throw new AppError('entitlement_not_for_sale', `"${entitlement.name}" is no longer sold`);
  const now = ctx.clock.now();
  if (entitlement.sale_ends_at !== null && entitlement.sale_ends_at <= now)
    throw new AppError(
      'entitlement_not_for_sale',
      `the sale of "${entitlement.name}" ended on ${new Date(entitlement.sale_ends_at).toISOString().slice(0, 10)}`,
    );
  const prices = await ctx.db.kysely
    .selectFrom('prices')
    .selectAll()
    .where('entitlement_id', '=', entitlementId)
    .where('active', '=', 1)
    .orderBy('created_at')
    .execute();
  if (prices.length === 0)
    throw new AppError('entitlement_not_for_sale', `"${entitlement.name}" has no price yet`);
  let price: PriceRow | undefined = prices[0];
  if (priceId) {
    price = prices.find((p) => p.id === priceId || p.stripe_price_id === priceId);
    if (!price)
      throw new AppError('not_found', `price ${priceId} is not an active price of ${entitlementId}`);
  }
  return { entitlement, prices, price: price! };
}

async function findOrCreateCustomer(ctx: AppContext, request: CheckoutRequest) {
  const email = request.email?.trim().toLowerCase() || null;
  const discordUserId = request.discordUserId ?? null;
  if (!email && !discordUserId)
    throw new AppError('validation_failed', "a checkout needs the buyer's email or Discord user id");
  const q = ctx.db.kysely.selectFrom('customers').selectAll().orderBy('created_at');
  const existing =
    (discordUserId ? await q.where('discord_user_id', '=', discordUserId).executeTakeFirst() : undefined) ??
    (email ? await q.where('email', '=', email).executeTakeFirst() : undefined);
  const now = ctx.clock.now();
  if (existing) {
    if (email && !existing.email) {
      await ctx.db.kysely
        .updateTable('customers')
        .set({ email, updated_at: now })
        .where('id', '=', existing.id)
        .execute();
      existing.email = email;
    }
    return existing;
  }
  const row = {
    id: newId('customer', now),
    email,
    name: null,
    stripe_customer_id: null,
    discord_user_id: discordUserId,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.kysely.insertInto('customers').values(row).execute();
  return row;
}

async function ensureStripeCustomer(
  ctx: AppContext,
  customer: { id: string; email: string | null; stripe_customer_id: string | null },
) {
  if (customer.stripe_customer_id) return customer.stripe_customer_id;
  const id = await requireStripe(ctx).createCustomer(
    { email: customer.email, metadata: { customer_id: customer.id } },
    `customer:${customer.id}`,
  );
  await ctx.db.kysely
    .updateTable('customers')
    .set({ stripe_customer_id: id, updated_at: ctx.clock.now() })
    .where('id', '=', customer.id)
    .execute();
  return id;
}

/** A grant that already gives (or is about to lose, unpaid) this entitlement: the buyer should manage it, not buy twice. */
async function heldGrant(ctx: AppContext, customerId: string, entitlementId: string) {
  return ctx.db.kysely
    .selectFrom('grants')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('entitlement_id', '=', entitlementId)
    .where('status', '!=', 'revoked')
    .where((eb) => eb.or([eb('active', '=', 1), eb('stripe_status', 'in', ['past_due', 'unpaid'])]))
    .executeTakeFirst();
}

/** A Billing Portal link for the customer behind a grant. */
export async function createPortalLink(ctx: AppContext, grantId: string): Promise<string> {
  const grant = await ctx.db.kysely
    .selectFrom('grants')
    .selectAll()
    .where('id', '=', grantId)
    .executeTakeFirst();
  if (!grant) throw notFound('grant', grantId);
  const customer = await ctx.db.kysely
    .selectFrom('customers')
    .select('stripe_customer_id')
    .where('id', '=', grant.customer_id)
    .executeTakeFirstOrThrow();
  if (!customer.stripe_customer_id)
    throw new AppError(
      'unprocessable',
      `grant ${grantId} was not paid through Stripe; it has no billing portal`,
    );
  return requireStripe(ctx).createPortalSession(
    customer.stripe_customer_id,
    `${ctx.publicUrl}/offers/${grant.entitlement_id}`,
  );
}

/**
 * Starts a purchase: a pending grant plus a Checkout Session that carries the grant id
 * (`client_reference_id`, and metadata on the session, subscription and payment intent). A buyer
 * who already holds the entitlement gets the billing portal instead; a second click while a session
 * is still open gets that session again.
 */
export async function createCheckout(ctx: AppContext, request: CheckoutRequest): Promise<CheckoutLink> {
  const { entitlement, price } = await offerFor(ctx, request.entitlementId, request.priceId);
  const stripe = requireStripe(ctx);
  const customer = await findOrCreateCustomer(ctx, request);

  const held = await heldGrant(ctx, customer.id, entitlement.id);
  if (held) {
    const stripeCustomerId = await ensureStripeCustomer(ctx, customer);
    const url = await stripe.createPortalSession(
      stripeCustomerId,
      `${ctx.publicUrl}/offers/${entitlement.id}`,
    );
    return { kind: 'portal', url };
  }

  const now = ctx.clock.now();
  const open = await ctx.db.kysely
    .selectFrom('grants')
    .selectAll()
    .where('customer_id', '=', customer.id)
    .where('entitlement_id', '=', entitlement.id)
    .where('price_id', '=', price.id)
    .where('status', '=', 'pending')
    .where('active', '=', 0)
    .where('stripe_checkout_session_id', 'is not', null)
    .where('created_at', '>', now - REUSE_OPEN_SESSION_MS)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (open?.stripe_checkout_session_id) {
    const session = await stripe.retrieveCheckoutSession(open.stripe_checkout_session_id);
    if (session.status === 'open' && session.url)
      return { kind: 'checkout', url: session.url, grantId: open.id };
  }

  const stripePriceId = await ensureStripePrice(ctx, price.id);
  const stripeCustomerId = await ensureStripeCustomer(ctx, customer);
  const mode = checkoutModeOf(price);
  const grant: GrantRow = await inTransaction(ctx, (tx) =>
    createGrant(ctx, tx, {
      entitlementId: entitlement.id,
      customerId: customer.id,
      source: mode === 'subscription' ? 'subscription' : 'payment',
      active: false,
      // The period starts when the payment succeeds; a pending grant must not expire meanwhile.
      endsAt: null,
      priceId: price.id,
      cause: 'checkout',
    }),
  );
  const metadata: Record<string, string> = { grant_id: grant.id, entitlement_id: entitlement.id };
  const discordUserId = request.discordUserId ?? customer.discord_user_id;
  if (discordUserId) metadata.discord_user_id = discordUserId;
  let session: { id: string; url: string };
  try {
    session = await stripe.createCheckoutSession(
      {
        mode,
        priceId: stripePriceId,
        customerId: stripeCustomerId,
        clientReferenceId: grant.id,
        metadata,
        trialDays: mode === 'subscription' ? entitlement.trial_days : 0,
        successUrl: `${ctx.publicUrl}/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
        cancelUrl: `${ctx.publicUrl}/offers/${entitlement.id}?canceled=1`,
      },
      `checkout:${grant.id}`,
    );
  } catch (err) {
    // No session means no way to pay for this grant: close it rather than leave it pending forever.
    await inTransaction(ctx, (tx) =>
      applyGrantEvent(ctx, tx, grant.id, 'revoke', { cause: 'checkout', reason: 'checkout_not_created' }),
    );
    throw err;
  }
  await ctx.db.kysely
    .updateTable('grants')
    .set({ stripe_checkout_session_id: session.id })
    .where('id', '=', grant.id)
    .execute();
  return { kind: 'checkout', url: session.url, grantId: grant.id };
}

/** The CheckoutPort the roles-channel button and the API use. */
export class StripeCheckout implements CheckoutPort {
  constructor(private readonly ctx: AppContext) {}
  createCheckout(request: CheckoutRequest): Promise<CheckoutLink> {
    return createCheckout(this.ctx, request);
  }
}

/**
 * The "Connect Discord" link of the Discord-UX part (GET /discord/link?grant=<signed token>), so the
 * success page and the emails hand out the same link.
 */
export function discordLinkUrl(ctx: AppContext, grantId: string): string {
  return grantLinkUrl(ctx, grantId);
}
