import { AppError } from '../../core/errors.js';
import { createCheckout, heldGrant, offerFor, portalForCustomer } from '../billing/checkout.js';
import type { AppContext } from '../shared/context.js';
import { loadCustomer } from '../grants/customers.js';
import type { CheckoutLink } from '../../core/ports/index.js';
import { beginLink, CONNECT_LINK_PAGE_TTL_MS, mintConnectToken, type LinkStart } from './connect.js';
import type { BuyerSession } from './sign-in.js';
import { linkedUsername } from './store/discord-links.js';
import { purchasesOfCustomer } from './store/grants.js';

/**
 * What a buyer signed in by their emailed link may do in that browser: see their purchases and
 * which Discord account gets the roles, open the billing portal, continue to a fresh checkout, and
 * connect (another) Discord account. Nothing here trusts more than the session names.
 */

export interface BuyerOverview {
  email: string | null;
  discordUsername: string | null;
  discordUserId: string | null;
  hasBilling: boolean;
  /** The offer the sign-in link was asked from, when it is still for sale or held. */
  offer: { id: string; name: string; held: boolean } | null;
  purchases: { name: string; status: string; active: boolean }[];
}

async function offerOf(ctx: AppContext, session: BuyerSession) {
  if (!session.entitlementId) return null;
  const held = await heldGrant(ctx, session.customerId, session.entitlementId);
  try {
    const { entitlement } = await offerFor(ctx, session.entitlementId);
    return { id: entitlement.id, name: entitlement.name, held: held !== undefined };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return null;
  }
}

export async function buyerOverview(ctx: AppContext, session: BuyerSession): Promise<BuyerOverview> {
  const db = ctx.db.kysely;
  const customer = await loadCustomer(db, session.customerId);
  return {
    email: customer.email,
    discordUsername: await linkedUsername(db, customer.id),
    discordUserId: customer.discord_user_id,
    hasBilling: customer.stripe_customer_id !== null,
    offer: await offerOf(ctx, session),
    purchases: await purchasesOfCustomer(db, customer.id),
  };
}

/** The billing portal of the signed-in buyer; back to their page when done. */
export async function buyerPortal(ctx: AppContext, session: BuyerSession): Promise<string> {
  const customer = await loadCustomer(ctx.db.kysely, session.customerId);
  if (!customer.stripe_customer_id)
    throw new AppError('unprocessable', 'There is no billing to manage for this email address yet.');
  return portalForCustomer(ctx, customer, `${ctx.publicUrl}/buyer`);
}

/** A fresh checkout for the signed-in buyer (or their portal, when they hold the offer already). */
export async function buyerCheckout(
  ctx: AppContext,
  session: BuyerSession,
  entitlementId: string,
): Promise<CheckoutLink> {
  return createCheckout(ctx, {
    entitlementId,
    customerId: session.customerId,
    returnUrl: `${ctx.publicUrl}/buyer`,
  });
}

/** Connect Discord from the signed-in browser: a short-lived single-use link, opened at once. */
export async function buyerConnect(ctx: AppContext, session: BuyerSession): Promise<LinkStart> {
  const token = await mintConnectToken(ctx, {
    customerId: session.customerId,
    grantId: null,
    ttlMs: CONNECT_LINK_PAGE_TTL_MS,
  });
  return beginLink(ctx, token);
}
