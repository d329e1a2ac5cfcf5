import type { Executor } from '../../adapters/store/db.js';
import { offerFor, startNewSession } from '../billing/checkout.js';
import type { AppContext } from '../shared/context.js';
import { findOrCreateCustomer, type CustomerRow } from '../grants/customers.js';
import { requestSignInLink } from './sign-in.js';
import { hasPaidOrGivenGrant } from './store/grants.js';

/**
 * The public offer form (`POST /offers/:id`). The email typed there is an unverified claim
 * (decision 0007): it may start a checkout for a buyer who has nothing to lose, but it never opens
 * anything that belongs to an existing buyer. Their purchases are reached through a link sent to
 * that email instead.
 */

export type OfferAnswer = { kind: 'checkout'; url: string; grantId: string } | { kind: 'check_email' };

/**
 * True when the customer has something an unverified browser must not reach or attach itself to: a
 * linked Discord account, a Stripe customer (billing history), or a grant that was ever paid for,
 * given, or is being paid. Checkouts that were abandoned or expired do not count.
 */
export async function hasPurchasesToProtect(db: Executor, customer: CustomerRow): Promise<boolean> {
  if (customer.discord_user_id !== null || customer.stripe_customer_id !== null) return true;
  return hasPaidOrGivenGrant(db, customer.id);
}

/**
 * A new Checkout Session for a buyer with nothing to protect; for anyone else (or when an older
 * session of this buyer turns out to be paid already) the sign-in email, and the same "check your
 * email" answer whoever asked.
 */
export async function startOfferPurchase(
  ctx: AppContext,
  input: { entitlementId: string; email: string; priceId?: string | undefined },
): Promise<OfferAnswer> {
  const offer = await offerFor(ctx, input.entitlementId, input.priceId);
  const now = ctx.clock.now();
  const customer = await ctx.db.kysely
    .transaction()
    .execute((trx) => findOrCreateCustomer(trx, now, { email: input.email }));
  if (await hasPurchasesToProtect(ctx.db.kysely, customer)) {
    await requestSignInLink(ctx, customer.id, offer.entitlement.id);
    return { kind: 'check_email' };
  }
  const started = await startNewSession(ctx, { customer, offer });
  if (started.kind === 'checkout') return started;
  await requestSignInLink(ctx, customer.id, offer.entitlement.id);
  return { kind: 'check_email' };
}
