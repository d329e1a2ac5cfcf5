import { stripeGraceCheckJob } from './jobs.js';
import { DAY_MS } from '../../core/clock.js';
import type { GrantEvent } from '../../core/grant-state.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import { applyGrantEvent, enqueueSyncForGrant, type GrantRow } from '../grants/grants.js';
import { enqueuePaymentFailedReminder } from '../buyer/reminders.js';
import type { SubscriptionSnapshot } from '../../core/ports/stripe.js';
import { priceByStripeId } from '../catalog/prices.js';
import { requireStripe } from '../shared/services.js';
import {
  claimFreshSnapshot,
  grantById,
  grantBySubscription,
  patchGrant,
  recordPaymentIntents,
  entitlementOfGrant,
  grantByCheckoutSession,
  setGrantColumns,
} from './store/grants.js';
import { setStripeCustomerIfUnset } from '../grants/store.js';
import { subscriptionEndsAt } from './subscription-end.js';

/**
 * Subscriptions and Checkout Sessions → grants. Every decision is taken from the object as Stripe
 * shows it NOW (re-read through the port), never from the event that asked for the re-read, so
 * duplicated, reordered and delayed events converge on the same grant.
 */

export interface SubscriptionDecision {
  event: GrantEvent | null;
  reason?: string;
  /** undefined = leave as is; null = clear. */
  graceEndsAt?: number | null;
}

type DecisionGrant = Pick<GrantRow, 'status' | 'active' | 'status_reason' | 'grace_ends_at' | 'delivered_at'>;

/** A suspension only a dispute's outcome may lift (the subscription staying active must not). */
export const isDisputeHold = (g: Pick<GrantRow, 'status' | 'status_reason'>) =>
  g.status === 'suspended' && g.status_reason === 'dispute';

/**
 * What a subscription's current status means for its grant (reference §3):
 * trialing/active → access; past_due → access until the grace period ends, then suspend;
 * unpaid/paused → suspend; canceled → revoke; incomplete → wait; incomplete_expired → the first
 * payment failed. Pure, so the table is tested without Stripe.
 */
export function decideSubscription(
  g: DecisionGrant,
  status: string,
  graceDays: number,
  now: number,
): SubscriptionDecision {
  if (g.status === 'revoked') return { event: null };
  const active = g.active === 1;
  switch (status) {
    case 'canceled':
      return { event: 'revoke', reason: 'subscription_canceled' };
    case 'incomplete_expired':
      if (g.status === 'pending' && !active)
        return { event: 'payment_failed', reason: 'first_payment_failed' };
      if (g.status === 'failed' && !active) return { event: null };
      return { event: 'revoke', reason: 'incomplete_expired' };
    case 'trialing':
    case 'active':
      if (isDisputeHold(g)) return { event: null };
      if (active) return g.grace_ends_at === null ? { event: null } : { event: 'extend', graceEndsAt: null };
      return {
        event: g.status === 'suspended' ? 'restore' : 'activate',
        reason: `subscription_${status}`,
        graceEndsAt: null,
      };
    case 'past_due': {
      if (isDisputeHold(g) || (g.status === 'suspended' && !active)) return { event: null };
      const graceEndsAt = g.grace_ends_at ?? now + graceDays * DAY_MS;
      if (graceEndsAt <= now)
        return active ? { event: 'suspend', reason: 'grace_expired', graceEndsAt } : { event: null };
      if (!active) return { event: 'activate', reason: 'past_due_grace', graceEndsAt };
      return g.grace_ends_at === null ? { event: 'extend', graceEndsAt } : { event: null };
    }
    case 'unpaid':
    case 'paused':
      if (g.status === 'suspended') return { event: null };
      return { event: 'suspend', reason: `subscription_${status}` };
    default:
      // `incomplete`: the first payment is still under way.
      return { event: null };
  }
}

/** Finds the grant of a subscription: by its id, or by the grant id in its metadata (links them). */
async function grantForSubscription(ctx: AppContext, tx: Tx, sub: SubscriptionSnapshot) {
  const linked = await grantBySubscription(tx.db, sub.id);
  if (linked) return linked;
  const byMeta = await grantById(tx.db, sub.metadata.grant_id);
  if (!byMeta || (byMeta.stripe_subscription_id && byMeta.stripe_subscription_id !== sub.id)) return null;
  return patchGrant(tx.db, byMeta, { stripe_subscription_id: sub.id }, ctx.clock.now());
}

/** The plan change a subscription's items imply: the entitlement of its (first known) price. */
async function planOf(tx: Tx, sub: SubscriptionSnapshot) {
  for (const priceId of sub.priceIds) {
    // Inside the transaction: on SQLite another handle would wait for this transaction's connection.
    const price = await priceByStripeId(tx.db, priceId);
    if (price) return price;
  }
  return null;
}

/** Applies a subscription snapshot to its grant inside `tx`. Exported for the reconcile and tests. */
export async function applySubscription(
  ctx: AppContext,
  tx: Tx,
  sub: SubscriptionSnapshot,
  eventCreated: number | null,
): Promise<GrantRow | null> {
  let grant = await grantForSubscription(ctx, tx, sub);
  if (!grant) return null;
  const now = ctx.clock.now();
  const entitlement = await entitlementOfGrant(tx.db, grant.entitlement_id);
  grant = await patchGrant(
    tx.db,
    grant,
    {
      stripe_status: sub.status,
      stripe_cancel_at: subscriptionEndsAt(sub),
      stripe_event_created: Math.max(grant.stripe_event_created ?? 0, eventCreated ?? 0) || null,
    },
    now,
  );
  if (grant.status === 'revoked') return grant;

  // Plan change: the grant follows the entitlement of the new price (its roles swap on sync).
  const plan = await planOf(tx, sub);
  const moved = plan !== null && plan.entitlement_id !== grant.entitlement_id;
  if (moved && plan) {
    const target = await entitlementOfGrant(tx.db, plan.entitlement_id);
    if (target.server_id !== grant.server_id) {
      // The old server must lose the roles: sync it before the grant leaves it.
      await enqueueSyncForGrant(tx, grant, `grant:${grant.id}`);
      await setGrantColumns(tx.db, grant.id, { server_id: target.server_id });
    }
  }

  const decision = decideSubscription(grant, sub.status, entitlement.grace_days, now);
  const event: GrantEvent | null = decision.event ?? (moved ? 'extend' : null);
  if (event) {
    grant = await applyGrantEvent(ctx, tx, grant.id, event, {
      cause: `grant:${grant.id}`,
      ...(decision.reason === undefined ? {} : { reason: decision.reason }),
      ...(decision.graceEndsAt === undefined ? {} : { graceEndsAt: decision.graceEndsAt }),
      ...(moved && plan ? { patch: { entitlement_id: plan.entitlement_id, price_id: plan.id } } : {}),
    });
  }
  if (sub.status === 'past_due' && grant.active === 1 && grant.grace_ends_at !== null) {
    await tx.enqueue(
      stripeGraceCheckJob,
      { grantId: grant.id },
      { runAt: grant.grace_ends_at, dedupeKey: `grace:${grant.id}:${grant.grace_ends_at}` },
    );
    await enqueuePaymentFailedReminder(tx, grant); // one email per grace period (reminders.ts)
  }
  return grant;
}

/** Re-reads a subscription and applies it (unless a newer snapshot of it was applied meanwhile). */
export async function syncSubscription(
  ctx: AppContext,
  subscriptionId: string,
  eventCreated: number | null = null,
): Promise<GrantRow | null> {
  const requestedAt = Date.now();
  const sub = await requireStripe(ctx).retrieveSubscription(subscriptionId);
  return inTransaction(ctx, async (tx) => {
    if (!(await claimFreshSnapshot(tx.db, sub.id, requestedAt))) return grantBySubscription(tx.db, sub.id);
    return applySubscription(ctx, tx, sub, eventCreated);
  });
}

/** Grace over: re-read the subscription; still past_due → suspend. */
export async function checkGrace(ctx: AppContext, { grantId }: { grantId: string }): Promise<void> {
  const grant = await grantById(ctx.db.kysely, grantId);
  if (grant?.stripe_subscription_id && grant.status !== 'revoked')
    await syncSubscription(ctx, grant.stripe_subscription_id);
}

const FAILED_PAYMENT_INTENT = new Set(['requires_payment_method', 'canceled']);

/**
 * The one `fulfill(session)` (reference §2): called by every checkout.session.* event and by the
 * success page; safe to repeat. Subscription mode links the subscription and defers to it; payment
 * mode activates on `paid` (N-day access ends `access_days` later), fails when the delayed payment
 * failed, and closes the grant when the session expired unused.
 */
export async function syncCheckoutSession(
  ctx: AppContext,
  sessionId: string,
  eventType: string | null = null,
  eventCreated: number | null = null,
): Promise<GrantRow | null> {
  const stripe = requireStripe(ctx);
  const requestedAt = Date.now();
  const session = await stripe.retrieveCheckoutSession(sessionId);
  const paid = session.paymentStatus === 'paid' || session.paymentStatus === 'no_payment_required';
  let paymentFailed = false;
  if (!paid && session.status === 'complete') {
    const pi = session.paymentIntentId ? await stripe.retrievePaymentIntent(session.paymentIntentId) : null;
    paymentFailed =
      (pi !== null && FAILED_PAYMENT_INTENT.has(pi.status)) ||
      eventType === 'checkout.session.async_payment_failed';
  }

  const grant = await inTransaction(ctx, async (tx) => {
    const found =
      (await grantById(tx.db, session.clientReferenceId)) ??
      (await grantById(tx.db, session.metadata.grant_id)) ??
      (await grantByCheckoutSession(tx.db, session.id));
    if (!found || !(await claimFreshSnapshot(tx.db, session.id, requestedAt))) return found;
    const now = ctx.clock.now();
    let g = await patchGrant(
      tx.db,
      found,
      {
        stripe_checkout_session_id: session.id,
        ...(session.subscriptionId && !found.stripe_subscription_id
          ? { stripe_subscription_id: session.subscriptionId }
          : {}),
      },
      now,
    );
    // Checkout creates the Stripe customer of a buyer who had none (decision 0007): remember it, so
    // the billing portal and later checkouts use it. A customer that already has one keeps it.
    if (session.customerId) await setStripeCustomerIfUnset(tx.db, g.customer_id, session.customerId, now);
    if (g.status === 'revoked') return g;
    const pendingUnpaid =
      g.active === 0 && (g.status === 'pending' || g.status === 'failed') && g.delivered_at === null;

    if (session.status === 'expired') {
      if (pendingUnpaid && !session.subscriptionId)
        g = await applyGrantEvent(ctx, tx, g.id, 'revoke', {
          cause: `grant:${g.id}`,
          reason: 'checkout_expired',
        });
      return g;
    }
    if (session.mode === 'subscription') return g; // the subscription decides, below
    if (paid) {
      if (session.paymentIntentId) await recordPaymentIntents(tx.db, g, [session.paymentIntentId], now);
      if (!pendingUnpaid) return g;
      const entitlement = await entitlementOfGrant(tx.db, g.entitlement_id);
      const endsAt =
        entitlement.access_kind === 'days' && entitlement.access_days
          ? now + entitlement.access_days * DAY_MS
          : null;
      return applyGrantEvent(ctx, tx, g.id, 'activate', {
        cause: `grant:${g.id}`,
        reason: 'paid',
        endsAt,
        patch: { stripe_status: 'paid' },
      });
    }
    if (paymentFailed && g.status === 'pending' && g.active === 0)
      return applyGrantEvent(ctx, tx, g.id, 'payment_failed', {
        cause: `grant:${g.id}`,
        reason: 'payment_failed',
        error: { code: 'payment_failed', message: 'the delayed payment failed', owner: 'customer' },
        patch: { stripe_status: 'payment_failed' },
      });
    return patchGrant(tx.db, g, { stripe_status: 'awaiting_payment' }, now);
  });

  if (grant && session.mode === 'subscription' && session.subscriptionId && session.status !== 'expired')
    return syncSubscription(ctx, session.subscriptionId, eventCreated);
  return grant;
}
