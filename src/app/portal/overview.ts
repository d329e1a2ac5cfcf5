import { FailureError } from '../../core/failure.js';
import { planMovesFrom } from '../catalog/store.js';
import type { AppContext } from '../shared/context.js';
import type { ReceiptSnapshot, SubscriptionSnapshot } from '../../core/ports/stripe.js';
import type { PortalSession } from './sessions.js';
import { ownedCustomers, purchasesOf, roleNames, type OwnedCustomer, type PurchaseRow } from './store.js';
import { purchaseState, type PurchaseState } from './words.js';

/**
 * What the signed-in buyer sees (decision 0021): per customer (usually one), the linked Discord
 * account, every purchase with its state in words, each server and the roles it gives — held or not
 * yet, read live from Discord — and the receipts from Stripe. A Discord or Stripe hiccup shows
 * "unknown" for that part and never fails the page.
 */

export interface PortalRole {
  name: string;
  /** Held now; null when Discord could not be asked. */
  held: boolean | null;
}

export interface PortalPurchase extends PurchaseState {
  id: string;
  name: string;
  serverName: string;
  active: boolean;
  /** In the server now; null when unknown (no account linked, or Discord did not answer). */
  joined: boolean | null;
  roles: PortalRole[];
  /** Something the buyer paid for is missing in Discord: offer "Regain access". */
  canRegain: boolean;
  /** A running subscription whose merchant offers other plans (decision 0022). */
  canChangePlan: boolean;
  /** A plan change waits for its invoice to be paid; until then nothing changes. */
  planChangePending: boolean;
}

export interface PortalCustomer {
  id: string;
  email: string | null;
  discord: { userId: string; username: string | null } | null;
  hasBilling: boolean;
  purchases: PortalPurchase[];
  receipts: ReceiptSnapshot[];
}

export interface PortalView {
  signedInAs: string;
  customers: PortalCustomer[];
}

async function quietly<T>(ctx: AppContext, what: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof FailureError)) throw err;
    ctx.log.info({ failure: err.failure.code }, `portal: ${what} unavailable`);
    return null;
  }
}

async function describePurchase(
  ctx: AppContext,
  p: PurchaseRow,
  customer: OwnedCustomer,
  names: Map<string, string>,
): Promise<PortalPurchase> {
  const stripe = ctx.ports.stripe;
  const sub: SubscriptionSnapshot | null =
    p.stripe_subscription_id && p.active === 1 && stripe
      ? await quietly(ctx, 'Stripe subscription', () =>
          stripe.retrieveSubscription(p.stripe_subscription_id ?? ''),
        )
      : null;
  const state = purchaseState(p, sub, ctx.clock.now());
  const roleIds = JSON.parse(p.role_ids) as string[];
  let joined: boolean | null = null;
  let held: Set<string> | null = null;
  if (p.active === 1 && customer.discord_user_id && ctx.ports.discord) {
    const discord = ctx.ports.discord;
    const userId = customer.discord_user_id;
    // Wrapped, so "not in the server" (null) and "Discord did not answer" (null from quietly) differ.
    const read = await quietly(ctx, 'Discord member', async () => ({
      member: await discord.getMember(p.guild_id, userId),
    }));
    if (read) {
      joined = read.member !== null;
      held = new Set(read.member?.roleIds ?? []);
    }
  }
  const roles = roleIds.map((id) => ({
    name: names.get(`${p.server_id}:${id}`) ?? 'a role',
    held: held === null ? null : held.has(id),
  }));
  const missing = joined === false || roles.some((r) => r.held === false);
  return {
    ...state,
    id: p.id,
    name: p.name,
    serverName: p.server_name,
    active: p.active === 1,
    joined,
    roles,
    canRegain: p.active === 1 && customer.discord_user_id !== null && missing,
    canChangePlan: state.canCancel && (await planMovesFrom(ctx.db.kysely, p.entitlement_id)).length > 0,
    planChangePending: sub?.pendingUpdate ?? false,
  };
}

export async function portalView(ctx: AppContext, session: PortalSession): Promise<PortalView> {
  const db = ctx.db.kysely;
  const customers = await ownedCustomers(db, session);
  const purchases = await purchasesOf(
    db,
    customers.map((c) => c.id),
  );
  const names = await roleNames(db, [...new Set(purchases.map((p) => p.server_id))]);
  const stripe = ctx.ports.stripe;
  const views: PortalCustomer[] = [];
  for (const c of customers) {
    const own = purchases.filter((p) => p.customer_id === c.id);
    const receipts =
      c.stripe_customer_id && stripe
        ? ((await quietly(ctx, 'Stripe invoices', () =>
            stripe.listInvoices(c.stripe_customer_id ?? '', 12),
          )) ?? [])
        : [];
    views.push({
      id: c.id,
      email: c.email,
      discord: c.discord_user_id ? { userId: c.discord_user_id, username: c.username } : null,
      hasBilling: c.stripe_customer_id !== null,
      purchases: await Promise.all(own.map((p) => describePurchase(ctx, p, c, names))),
      receipts,
    });
  }
  const first = customers[0];
  const signedInAs = session.customerId
    ? (first?.email ?? 'your email')
    : `Discord: ${first?.username ?? session.discordUserId ?? ''}`;
  return { signedInAs, customers: views };
}
