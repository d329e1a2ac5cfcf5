import { AppError, notFound } from '../../core/errors.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { findOrCreateCustomer, loadCustomer, normalizeEmail, type CustomerRow } from '../grants/customers.js';
import { applyGrantEvent, createGrant, type GrantRow } from '../grants/grants.js';
import type { CheckoutLink, CheckoutPort, CheckoutRequest } from '../../core/ports/index.js';
import { checkoutModeOf, ensureStripePrice, type PriceRow } from '../catalog/prices.js';
import { requireStripe } from '../shared/services.js';
import { syncCheckoutSession } from './lifecycle.js';
import { activePricesByCreation, entitlementById } from '../catalog/store.js';
import { grantById, setCustomerEmail, setStripeCustomerIfUnset } from '../grants/store.js';
import { heldGrantOf, openCheckoutGrants, setGrantColumns } from './store/grants.js';

/**
 * Starting purchases. Every checkout is a NEW Checkout Session made for the request that asked
 * (decision 0007): a session is never handed to a second request, and the buyer's older open
 * sessions for the same entitlement are expired through Stripe first, so two can never both be paid.
 * These functions trust who the buyer is (an API key, a signed Discord interaction, or a buyer who
 * opened their emailed sign-in link); the public offer form goes through `buyer/offer.ts` instead.
 */

/** The entitlement and price a checkout sells, or a clear reason why it is not for sale. */
export async function offerFor(ctx: AppContext, entitlementId: string, priceId?: string) {
  const entitlement = await entitlementById(ctx.db.kysely, entitlementId);
  if (!entitlement) throw notFound('entitlement', entitlementId);
  if (entitlement.archived_at !== null)
    throw new AppError('entitlement_not_for_sale', `"${entitlement.name}" is no longer sold`);
  const now = ctx.clock.now();
  if (entitlement.sale_ends_at !== null && entitlement.sale_ends_at <= now)
    throw new AppError(
      'entitlement_not_for_sale',
      `the sale of "${entitlement.name}" ended on ${new Date(entitlement.sale_ends_at).toISOString().slice(0, 10)}`,
    );
  const prices = await activePricesByCreation(ctx.db.kysely, entitlementId);
  const first = prices[0];
  if (!first) throw new AppError('entitlement_not_for_sale', `"${entitlement.name}" has no price yet`);
  let price: PriceRow = first;
  if (priceId) {
    const chosen = prices.find((p) => p.id === priceId || p.stripe_price_id === priceId);
    if (!chosen)
      throw new AppError('not_found', `price ${priceId} is not an active price of ${entitlementId}`);
    price = chosen;
  }
  return { entitlement, prices, price };
}

export type Offer = Awaited<ReturnType<typeof offerFor>>;

async function buyerOf(ctx: AppContext, request: CheckoutRequest): Promise<CustomerRow> {
  if (request.customerId) return loadCustomer(ctx.db.kysely, request.customerId);
  if (!request.email && !request.discordUserId)
    throw new AppError('validation_failed', "a checkout needs the buyer's email or Discord user id");
  const now = ctx.clock.now();
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const customer = await findOrCreateCustomer(trx, now, {
      email: request.email,
      discordUserId: request.discordUserId,
    });
    if (!request.email || customer.email) return customer;
    // A trusted caller (the merchant's API key) names a Discord buyer's email: keep it for receipts.
    const email = normalizeEmail(request.email);
    await setCustomerEmail(trx, customer.id, email, now);
    return { ...customer, email };
  });
}

/** The buyer's Stripe customer, created only when one is needed now (the billing portal). */
async function ensureStripeCustomer(ctx: AppContext, customer: CustomerRow): Promise<string> {
  if (customer.stripe_customer_id) return customer.stripe_customer_id;
  const id = await requireStripe(ctx).createCustomer(
    { email: customer.email, metadata: { customer_id: customer.id } },
    `customer:${customer.id}`,
  );
  await setStripeCustomerIfUnset(ctx.db.kysely, customer.id, id, ctx.clock.now());
  return id;
}

/** A grant that already gives (or is about to lose, unpaid) this entitlement: the buyer should manage it, not buy twice. */
export async function heldGrant(ctx: AppContext, customerId: string, entitlementId: string) {
  return heldGrantOf(ctx.db.kysely, customerId, entitlementId);
}

/** A Billing Portal session for a customer; back to `returnUrl` when they are done. */
export async function portalForCustomer(ctx: AppContext, customer: CustomerRow, returnUrl: string) {
  return requireStripe(ctx).createPortalSession(await ensureStripeCustomer(ctx, customer), returnUrl);
}

/** A Billing Portal link for the customer behind a grant. */
export async function createPortalLink(ctx: AppContext, grantId: string): Promise<string> {
  const grant = await grantById(ctx.db.kysely, grantId);
  if (!grant) throw notFound('grant', grantId);
  const customer = await loadCustomer(ctx.db.kysely, grant.customer_id);
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

/** Grants of one buyer and entitlement whose Checkout Session may still be open. */
function openCheckouts(ctx: AppContext, customerId: string, entitlementId: string) {
  return openCheckoutGrants(ctx.db.kysely, customerId, entitlementId);
}

/**
 * Expires the buyer's open sessions for an entitlement (only those older than `newerThan`, when
 * given) and closes their grants. Returns how many were already complete: the buyer paid, or
 * started a delayed payment, before they could be expired (those are fulfilled here and now).
 */
async function expireOlderCheckouts(
  ctx: AppContext,
  customerId: string,
  entitlementId: string,
  newerThan?: string,
): Promise<number> {
  const stripe = requireStripe(ctx);
  let completed = 0;
  for (const g of await openCheckouts(ctx, customerId, entitlementId)) {
    if (newerThan !== undefined && g.id >= newerThan) continue;
    const sessionId = g.stripe_checkout_session_id ?? '';
    if ((await stripe.expireCheckoutSession(sessionId)) === 'complete') {
      completed += 1;
      await syncCheckoutSession(ctx, sessionId);
      continue;
    }
    await inTransaction(ctx, async (tx) => {
      // Its `checkout.session.expired` event may have closed it already.
      const current = await grantById(tx.db, g.id);
      if (current?.status === 'pending' && current.active === 0)
        await applyGrantEvent(ctx, tx, g.id, 'revoke', {
          cause: `grant:${g.id}`,
          reason: 'checkout_replaced',
        });
    });
  }
  return completed;
}

/** What starting a session came to: a fresh session, or an older one turned out to be paid already. */
export type NewSession = { kind: 'checkout'; url: string; grantId: string } | { kind: 'already_paid' };

/**
 * A pending grant plus a new Checkout Session carrying its id (`client_reference_id`, and metadata
 * on the session, subscription and payment intent). A buyer without a Stripe customer gets none
 * here: Checkout creates it when they pay, and the lifecycle records it on the customer.
 */
export async function startNewSession(
  ctx: AppContext,
  input: { customer: CustomerRow; offer: Offer; discordUserId?: string | undefined },
): Promise<NewSession> {
  const { customer, offer } = input;
  const { entitlement, price } = offer;
  if ((await expireOlderCheckouts(ctx, customer.id, entitlement.id)) > 0) return { kind: 'already_paid' };
  const stripe = requireStripe(ctx);
  const stripePriceId = await ensureStripePrice(ctx, price.id);
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
  const metadata: Record<string, string> = {
    grant_id: grant.id,
    entitlement_id: entitlement.id,
    customer_id: customer.id,
  };
  const discordUserId = input.discordUserId ?? customer.discord_user_id;
  if (discordUserId) metadata.discord_user_id = discordUserId;
  let session: { id: string; url: string };
  try {
    session = await stripe.createCheckoutSession(
      {
        mode,
        priceId: stripePriceId,
        customer: customer.stripe_customer_id
          ? { stripeCustomerId: customer.stripe_customer_id }
          : { email: customer.email },
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
  await setGrantColumns(ctx.db.kysely, grant.id, { stripe_checkout_session_id: session.id });
  // A concurrent request may have opened a session meanwhile: the newest one stays, older ones go.
  // If an older one was paid in that instant, ours must not be payable as well.
  if ((await expireOlderCheckouts(ctx, customer.id, entitlement.id, grant.id)) > 0) {
    await expireOlderCheckouts(ctx, customer.id, entitlement.id);
    return { kind: 'already_paid' };
  }
  return { kind: 'checkout', url: session.url, grantId: grant.id };
}

/**
 * Starts a purchase for a buyer whose identity is trusted. One who already holds the entitlement
 * gets the billing portal instead; one whose earlier checkout was just paid gets the portal too, or
 * a 409 while that payment is still being processed.
 */
export async function createCheckout(ctx: AppContext, request: CheckoutRequest): Promise<CheckoutLink> {
  const offer = await offerFor(ctx, request.entitlementId, request.priceId);
  const customer = await buyerOf(ctx, request);
  const returnUrl = request.returnUrl ?? `${ctx.publicUrl}/offers/${offer.entitlement.id}`;
  if (await heldGrant(ctx, customer.id, offer.entitlement.id))
    return { kind: 'portal', url: await portalForCustomer(ctx, customer, returnUrl) };
  const started = await startNewSession(ctx, { customer, offer, discordUserId: request.discordUserId });
  if (started.kind === 'checkout') return started;
  if (await heldGrant(ctx, customer.id, offer.entitlement.id))
    return { kind: 'portal', url: await portalForCustomer(ctx, customer, returnUrl) };
  throw new AppError(
    'conflict',
    `a payment for "${offer.entitlement.name}" by this buyer is still being processed; wait for it to finish`,
  );
}

/** The CheckoutPort the roles-channel button and the API use. */
export class StripeCheckout implements CheckoutPort {
  constructor(private readonly ctx: AppContext) {}
  createCheckout(request: CheckoutRequest): Promise<CheckoutLink> {
    return createCheckout(this.ctx, request);
  }
}
