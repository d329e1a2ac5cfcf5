import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import { portalForCustomer } from '../billing/checkout.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { loadCustomer } from '../grants/customers.js';
import { accessTokenFor } from '../buyer/discord-link.js';
import { enqueueMemberCheck } from '../grants/grants.js';
import { requireStripe } from '../shared/services.js';
import { syncSubscription } from '../billing/lifecycle.js';
import { beginLink, CONNECT_LINK_PAGE_TTL_MS, mintConnectToken, type LinkStart } from '../buyer/connect.js';
import type { PortalSession } from './sessions.js';
import { ownedPurchase } from './store.js';

/**
 * What a signed-in buyer may do from the portal (decision 0021). Every id comes from a form, so
 * each is checked against the session's own customers first: another buyer's id is "not found",
 * exactly like an id that does not exist.
 */

const notYours = () => new AppError('not_found', 'We could not find this purchase in your account.');

function ownCustomer(session: PortalSession, customerId: string): string {
  if (!session.customerIds.includes(customerId)) throw notYours();
  return customerId;
}

export async function ownGrant(ctx: AppContext, session: PortalSession, grantId: string) {
  const grant = await ownedPurchase(ctx.db.kysely, session.customerIds, grantId);
  if (!grant) throw notYours();
  return grant;
}

/** Connect (or switch) the Discord account of one of the session's customers: a one-hour link, opened at once. */
export async function portalConnect(
  ctx: AppContext,
  session: PortalSession,
  customerId: string,
): Promise<LinkStart> {
  const token = await mintConnectToken(ctx, {
    customerId: ownCustomer(session, customerId),
    grantId: null,
    ttlMs: CONNECT_LINK_PAGE_TTL_MS,
  });
  return beginLink(ctx, token, { fromPortal: true });
}

/** The Billing Portal of one of the session's customers; back to the portal when done. */
export async function portalBilling(ctx: AppContext, session: PortalSession, customerId: string) {
  const customer = await loadCustomer(ctx.db.kysely, ownCustomer(session, customerId));
  if (!customer.stripe_customer_id)
    throw new AppError('unprocessable', 'There is no billing to manage for this purchase.');
  return portalForCustomer(ctx, customer, `${ctx.publicUrl}/portal`);
}

export type RegainOutcome = { kind: 'queued' } | { kind: 'reconnect'; start: LinkStart };

/**
 * "Regain access": the buyer left the server or lost a role. A member sync that reads the member
 * first (the records say they hold the roles) joins them again through
 * `guilds.join` and re-applies the roles; that needs a live OAuth token, so without one the buyer
 * connects Discord again (which queues the same sync).
 */
export async function portalRegain(
  ctx: AppContext,
  session: PortalSession,
  grantId: string,
): Promise<RegainOutcome> {
  const grant = await ownGrant(ctx, session, grantId);
  if (grant.active !== 1) throw new AppError('unprocessable', 'This purchase no longer gives access.');
  const customer = await loadCustomer(ctx.db.kysely, grant.customer_id);
  if (!customer.discord_user_id || (await accessTokenFor(ctx, customer.id)) === null)
    return { kind: 'reconnect', start: await portalConnect(ctx, session, customer.id) };
  const userId = customer.discord_user_id;
  await inTransaction(ctx, (tx) =>
    enqueueMemberCheck(tx, grant.server_id, userId, `customer:${customer.id} (regain access)`),
  );
  return { kind: 'queued' };
}

async function ownSubscription(ctx: AppContext, session: PortalSession, grantId: string) {
  const grant = await ownGrant(ctx, session, grantId);
  if (!grant.stripe_subscription_id || grant.active !== 1)
    throw new AppError('unprocessable', 'This purchase is not a running subscription.');
  return grant.stripe_subscription_id;
}

/** Cancel at period end: no more charges, access until the period already paid ends. */
export async function portalCancel(ctx: AppContext, session: PortalSession, grantId: string): Promise<void> {
  const subscriptionId = await ownSubscription(ctx, session, grantId);
  await requireStripe(ctx).cancelSubscriptionAtPeriodEnd(subscriptionId, `portal-cancel:${randomUUID()}`);
  // The webhook says the same a moment later; applying it now shows the change on the next page.
  await syncSubscription(ctx, subscriptionId);
}

/** Undo a cancel at period end: the subscription renews again. */
export async function portalResume(ctx: AppContext, session: PortalSession, grantId: string): Promise<void> {
  const subscriptionId = await ownSubscription(ctx, session, grantId);
  await requireStripe(ctx).resumeSubscription(subscriptionId, `portal-resume:${randomUUID()}`);
  await syncSubscription(ctx, subscriptionId);
}
