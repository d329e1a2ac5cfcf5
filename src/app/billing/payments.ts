import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import { applyGrantEvent, createGrant, type GrantRow } from '../grants/grants.js';
import { requireStripe } from '../shared/services.js';
import { revokeForPayment } from './revoke.js';
import {
  claimFreshSnapshot,
  grantById,
  grantByPaymentIntent,
  grantBySubscription,
  patchGrant,
  recordPaymentIntents,
  entitlementOfGrant,
  movePaymentIntents,
  setGrantColumns,
} from './store/grants.js';
import { isDisputeHold, syncSubscription } from './lifecycle.js';

/**
 * Invoices, refunds and disputes → grants. Refunds and disputes carry only a payment intent, so
 * every payment intent that paid for a grant is recorded on it (checkout, each paid invoice).
 */

/** invoice.paid / payment_failed: record what paid, then let the subscription's status decide. */
export async function syncInvoice(ctx: AppContext, invoiceId: string, eventCreated: number | null) {
  const invoice = await requireStripe(ctx).retrieveInvoice(invoiceId);
  const subscriptionId = invoice.subscriptionId;
  await inTransaction(ctx, async (tx) => {
    const grant =
      (subscriptionId ? await grantBySubscription(tx.db, subscriptionId) : null) ??
      (await grantById(tx.db, invoice.subscriptionMetadata.grant_id));
    if (grant && invoice.paymentIntentIds.length)
      await recordPaymentIntents(tx.db, grant, invoice.paymentIntentIds, ctx.clock.now());
  });
  if (subscriptionId) await syncSubscription(ctx, subscriptionId, eventCreated);
}

/** The grant a payment intent paid for: recorded link, then its metadata, then its invoice's subscription. */
async function grantForPaymentIntent(ctx: AppContext, paymentIntentId: string): Promise<GrantRow | null> {
  const known = await grantByPaymentIntent(ctx.db.kysely, paymentIntentId);
  if (known) return known;
  const stripe = requireStripe(ctx);
  const pi = await stripe.retrievePaymentIntent(paymentIntentId);
  let grant = await grantById(ctx.db.kysely, pi.metadata.grant_id);
  if (!grant) {
    const subscriptionId = await stripe.subscriptionOfPaymentIntent(paymentIntentId);
    grant = subscriptionId ? await grantBySubscription(ctx.db.kysely, subscriptionId) : null;
  }
  if (grant) await recordPaymentIntents(ctx.db.kysely, grant, [paymentIntentId], ctx.clock.now());
  return grant;
}

async function entitlementPolicy(tx: Tx, entitlementId: string) {
  return entitlementOfGrant(tx.db, entitlementId);
}

/** charge.refunded: a full refund revokes; a partial one follows the entitlement's policy. */
export async function syncCharge(ctx: AppContext, chargeId: string) {
  const requestedAt = Date.now();
  const charge = await requireStripe(ctx).retrieveCharge(chargeId);
  if (!charge.paymentIntentId || charge.amountRefunded <= 0) return null;
  const found = await grantForPaymentIntent(ctx, charge.paymentIntentId);
  if (!found) return null;
  return inTransaction(ctx, async (tx) => {
    const g = await grantById(tx.db, found.id);
    if (!g || g.status === 'revoked' || !(await claimFreshSnapshot(tx.db, charge.id, requestedAt))) return g;
    const policy = await entitlementPolicy(tx, g.entitlement_id);
    const full = charge.refunded || charge.amountRefunded >= charge.amount;
    if (!full && policy.partial_refund_policy !== 'revoke') return g;
    return revokeForPayment(ctx, tx, g, {
      cause: `grant:${g.id}`,
      reason: full ? 'refunded' : 'partially_refunded',
      billing: 'cancel_now',
    });
  });
}

const DISPUTE_WON = new Set(['won', 'warning_closed', 'prevented']);

/**
 * charge.dispute.*: an open dispute revokes or suspends (policy); `lost` revokes; `won` lifts a
 * dispute suspension — or, after a revoke, issues a fresh grant — when the policy restores on a win.
 */
export async function syncDispute(ctx: AppContext, disputeId: string) {
  const requestedAt = Date.now();
  const dispute = await requireStripe(ctx).retrieveDispute(disputeId);
  if (!dispute.paymentIntentId) return null;
  const found = await grantForPaymentIntent(ctx, dispute.paymentIntentId);
  if (!found) return null;
  // A win lifts the hold only when no other payment of the grant is still disputed.
  const otherOpen = DISPUTE_WON.has(dispute.status) ? await otherOpenDispute(ctx, found, dispute.id) : false;
  const after = await inTransaction(ctx, async (tx) => {
    const g = await grantById(tx.db, found.id);
    if (!g || !(await claimFreshSnapshot(tx.db, dispute.id, requestedAt))) return g;
    const policy = await entitlementPolicy(tx, g.entitlement_id);
    const cause = `grant:${g.id}`;
    if (dispute.status === 'lost') {
      if (g.status === 'revoked') return g;
      return revokeForPayment(ctx, tx, g, { cause, reason: 'dispute_lost', billing: 'cancel_now' });
    }
    if (DISPUTE_WON.has(dispute.status)) {
      if (!policy.restore_on_dispute_won || otherOpen) return g;
      if (isDisputeHold(g))
        return applyGrantEvent(ctx, tx, g.id, 'restore', { cause, reason: 'dispute_won' });
      if (g.status === 'revoked' && g.status_reason === 'dispute') return reissue(ctx, tx, g);
      return g;
    }
    if (g.status === 'revoked' || isDisputeHold(g)) return g;
    if (policy.dispute_policy === 'suspend')
      return applyGrantEvent(ctx, tx, g.id, 'suspend', { cause, reason: 'dispute' });
    // A win may give the access back (reissue): then the period paid must still be there.
    const billing = policy.restore_on_dispute_won ? 'cancel_at_period_end' : 'cancel_now';
    return revokeForPayment(ctx, tx, g, { cause, reason: 'dispute', billing });
  });
  // After a win the subscription (if any) decides again: it may have ended meanwhile.
  if (after?.stripe_subscription_id && after.status !== 'revoked' && DISPUTE_WON.has(dispute.status))
    await syncSubscription(ctx, after.stripe_subscription_id);
  return after;
}

const DISPUTE_CLOSED = new Set([...DISPUTE_WON, 'lost']);

async function otherOpenDispute(ctx: AppContext, grant: GrantRow, disputeId: string): Promise<boolean> {
  const stripe = requireStripe(ctx);
  for (const pi of JSON.parse(grant.stripe_payment_intents) as string[]) {
    const disputes = await stripe.listDisputes(pi);
    if (disputes.some((d) => d.id !== disputeId && !DISPUTE_CLOSED.has(d.status))) return true;
  }
  return false;
}

/**
 * A revoked grant cannot come back (revoked is terminal), so a won dispute under the revoke policy
 * issues a new grant carrying the same Stripe links and period. The old grant's reason records it,
 * so a repeated `dispute.closed` issues only one.
 */
async function reissue(ctx: AppContext, tx: Tx, old: GrantRow): Promise<GrantRow> {
  const now = ctx.clock.now();
  if (old.ends_at !== null && old.ends_at <= now) return old;
  const fresh = await createGrant(ctx, tx, {
    entitlementId: old.entitlement_id,
    customerId: old.customer_id,
    source: old.source as 'subscription' | 'payment',
    active: true,
    startsAt: now,
    endsAt: old.ends_at,
    priceId: old.price_id,
    stripeSubscriptionId: old.stripe_subscription_id,
    note: `reissued after dispute won on ${old.id}`,
    cause: `grant:${old.id}`,
  });
  const intents = JSON.parse(old.stripe_payment_intents) as string[];
  await movePaymentIntents(tx.db, old.id, fresh.id);
  await setGrantColumns(tx.db, fresh.id, {
    stripe_payment_intents: JSON.stringify(intents),
    stripe_status: old.stripe_status,
  });
  await patchGrant(tx.db, old, { status_reason: `dispute_won_reissued:${fresh.id}` }, now);
  return { ...fresh, stripe_payment_intents: JSON.stringify(intents) };
}
