import { grantRevokeBillingJob, type RevokeBillingPayload } from './jobs.js';
import { FailureError } from '../../core/failure.js';
import {
  planRevokeBilling,
  type RevokeBilling,
  type RevokeBillingStatus,
} from '../../core/revoke-billing.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import { applyGrantEvent, grantView, type GrantRow } from '../grants/grants.js';
import type { SubscriptionSnapshot } from '../../core/ports/stripe.js';
import { requireStripe } from '../shared/services.js';
import {
  claimFreshSnapshot,
  grantById,
  insertBillingLog,
  setGrantColumns,
  type BillingColumns,
} from './store/grants.js';
import { customerById } from '../grants/store.js';
import { subscriptionEndsAt } from './subscription-end.js';
import { emitWebhookEvent } from '../webhooks/events.js';
import { storableText } from '../../core/storable-text.js';

/**
 * Carries out the billing choice of a revoke (docs/decisions/0010): the revoke writes the choice on
 * the grant and queues this job in the same transaction (outbox); the job makes the Stripe call,
 * retried with backoff, and records the result on the grant, in its sync log and as an
 * `entitlement_grant.updated` webhook. Every Stripe write carries an idempotency key per grant and
 * action, and the job re-reads the subscription first, so a repeated run changes nothing twice.
 */

/** One key per grant and action: a retried job (or a second worker) repeats the same Stripe request. */
export const revokeBillingKey = (grantId: string, action: 'cancel_now' | 'period_end' | 'expire') =>
  `revoke-billing:${grantId}:${action}`;

export async function queueRevokeBilling(tx: Tx, grantId: string, cause: string): Promise<void> {
  await tx.enqueue(grantRevokeBillingJob, { grantId, cause }, { dedupeKey: `revoke-billing:${grantId}` });
}

/**
 * A revoke that Stripe's money caused (a refund, a dispute) of a grant a subscription pays for also
 * stops the subscription, with the same job and record as a revoke by hand (docs/decisions/0023):
 * otherwise the buyer keeps being charged for access they no longer have. Other grants revoke as before.
 */
export async function revokeForPayment(
  ctx: AppContext,
  tx: Tx,
  g: GrantRow,
  o: { cause: string; reason: string; billing: RevokeBilling },
): Promise<GrantRow> {
  const plan = g.stripe_subscription_id === null ? null : planRevokeBilling(g, o.billing);
  const billing = plan?.ok ? plan : { choice: null, status: null };
  const revoked = await applyGrantEvent(ctx, tx, g.id, 'revoke', {
    cause: o.cause,
    reason: o.reason,
    patch: { revoke_billing: billing.choice, revoke_billing_status: billing.status },
  });
  if (billing.status === 'pending') await queueRevokeBilling(tx, g.id, o.cause);
  return revoked;
}

const ENDED = new Set(['canceled', 'incomplete_expired']);

interface BillingResult {
  message: string;
  /** The subscription as Stripe shows it after the call, when there is one. */
  subscription: SubscriptionSnapshot | null;
}

const isoDay = (ms: number | null) =>
  ms === null ? 'the end of the period' : new Date(ms).toISOString().slice(0, 10);

/** The subscription to act on: the grant's, or the one its checkout turned into meanwhile. */
async function carryOut(ctx: AppContext, grant: GrantRow, choice: RevokeBilling): Promise<BillingResult> {
  const stripe = requireStripe(ctx);
  let subscriptionId = grant.stripe_subscription_id;
  if (!subscriptionId && grant.stripe_checkout_session_id) {
    let session = await stripe.retrieveCheckoutSession(grant.stripe_checkout_session_id);
    if (session.status === 'open') {
      const after = await stripe.expireCheckoutSession(session.id, revokeBillingKey(grant.id, 'expire'));
      if (after === 'expired')
        return { message: `checkout ${session.id} expired: it can no longer be paid`, subscription: null };
      // Paid in the meantime: cancel what it turned into, as for any paid grant.
      session = await stripe.retrieveCheckoutSession(session.id);
    }
    subscriptionId = session.subscriptionId;
    if (!subscriptionId)
      return {
        message:
          session.status === 'complete'
            ? `checkout ${session.id} was a one-time payment: nothing recurring to cancel (a refund is done in Stripe)`
            : `checkout ${session.id} expired unpaid: nothing to cancel`,
        subscription: null,
      };
  }
  if (!subscriptionId) return { message: 'no Stripe subscription: nothing to cancel', subscription: null };
  const current = await stripe.retrieveSubscription(subscriptionId);
  if (ENDED.has(current.status))
    return {
      message: `subscription ${current.id} had already ended (${current.status})`,
      subscription: current,
    };
  switch (choice) {
    case 'cancel_now': {
      const sub = await stripe.cancelSubscription(current.id, revokeBillingKey(grant.id, 'cancel_now'));
      return {
        message: `subscription ${sub.id} canceled now, without proration or refund`,
        subscription: sub,
      };
    }
    case 'cancel_at_period_end': {
      const sub = current.cancelAtPeriodEnd
        ? current
        : await stripe.cancelSubscriptionAtPeriodEnd(current.id, revokeBillingKey(grant.id, 'period_end'));
      return {
        message: `subscription ${sub.id} cancels at the end of its period (${isoDay(subscriptionEndsAt(sub))}); no further charge`,
        subscription: sub,
      };
    }
    case 'keep_billing':
      return { message: `billing kept: subscription ${current.id} keeps charging`, subscription: current };
  }
}

/** Writes one line in the grant's sync log (the timeline `GET /api/grants/:id` shows). */
export async function writeBillingLog(
  tx: Tx,
  grant: Pick<GrantRow, 'id' | 'server_id' | 'customer_id'>,
  entry: {
    outcome: 'ok' | 'failed' | 'skipped';
    message: string;
    cause: string;
    at: number;
    failure?: FailureError;
  },
): Promise<void> {
  const customer = await customerById(tx.db, grant.customer_id);
  await insertBillingLog(tx.db, {
    server_id: grant.server_id,
    // Billing involves no Discord account; '' (shown as null) when the buyer never linked one.
    discord_user_id: customer?.discord_user_id ?? '',
    grant_id: grant.id,
    outcome: entry.outcome,
    error_code: entry.failure?.failure.code ?? null,
    error_owner: entry.failure?.failure.owner ?? null,
    message: storableText(entry.message, 2000),
    cause: entry.cause,
    created_at: entry.at,
  });
}

interface Outcome {
  status: RevokeBillingStatus;
  message: string;
  error: FailureError | null;
  subscription: SubscriptionSnapshot | null;
  /** Wall-clock ms before the Stripe call: an older concurrent re-read must not overwrite its answer. */
  requestedAt: number;
}

/** Records a final outcome (done or failed): the grant, its sync log and the merchant webhook, together. */
async function recordOutcome(ctx: AppContext, grantId: string, cause: string, o: Outcome): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const g = await grantById(tx.db, grantId);
    if (!g || g.revoke_billing_status === 'done') return;
    const now = ctx.clock.now();
    const update: BillingColumns = {
      revoke_billing_status: o.status,
      revoke_billing_error: o.error ? storableText(o.error.message, 2000) : null,
      updated_at: now,
    };
    const sub = o.subscription;
    if (sub && (await claimFreshSnapshot(tx.db, sub.id, o.requestedAt))) {
      update.stripe_status = sub.status;
      update.stripe_cancel_at = subscriptionEndsAt(sub);
      if (!g.stripe_subscription_id) update.stripe_subscription_id = sub.id;
    }
    await setGrantColumns(tx.db, g.id, update);
    // Re-read after the write (which holds the row lock), so the webhook shows what member sync
    // may have written meanwhile too.
    const after = await grantById(tx.db, g.id);
    if (!after) throw new Error(`grant ${g.id} vanished while recording its billing`);
    await writeBillingLog(tx, g, {
      outcome: o.status === 'done' ? 'ok' : 'failed',
      message: o.message,
      cause,
      at: now,
      ...(o.error ? { failure: o.error } : {}),
    });
    if (after.announced_at !== null)
      await emitWebhookEvent(ctx, tx, 'entitlement_grant.updated', grantView(after));
  });
}

/**
 * The `grant.revoke_billing` job. A failed Stripe call is rethrown so the queue retries it with
 * backoff (a race, such as the checkout being paid while we expired it, resolves on the next run,
 * which re-reads); its message is kept on the grant meanwhile, and the last attempt marks the
 * billing `failed` so the merchant sees it must be done by hand in Stripe.
 */
export async function runRevokeBilling(
  ctx: AppContext,
  { grantId, cause }: RevokeBillingPayload,
  attempt: { final: boolean } = { final: false },
): Promise<void> {
  const grant = await grantById(ctx.db.kysely, grantId);
  if (!grant || grant.revoke_billing === null) return;
  if (grant.revoke_billing_status !== 'pending' && grant.revoke_billing_status !== 'failed') return;
  const requestedAt = Date.now();
  let result: BillingResult;
  try {
    result = await carryOut(ctx, grant, grant.revoke_billing as RevokeBilling);
  } catch (err) {
    const failure =
      err instanceof FailureError
        ? err
        : new FailureError({ owner: 'bug', code: 'revoke_billing', message: String(err) });
    if (attempt.final) {
      await recordOutcome(ctx, grantId, cause, {
        status: 'failed',
        message: `Stripe billing not changed: ${failure.message}; change it by hand in the Stripe Dashboard`,
        error: failure,
        subscription: null,
        requestedAt,
      });
    } else {
      await setGrantColumns(ctx.db.kysely, grantId, {
        revoke_billing_error: storableText(failure.message, 2000),
      });
    }
    throw err;
  }
  await recordOutcome(ctx, grantId, cause, { status: 'done', error: null, requestedAt, ...result });
}
