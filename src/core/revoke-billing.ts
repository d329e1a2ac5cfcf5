/**
 * What happens to a grant's Stripe billing when a person revokes it (docs/decisions/0010).
 * Pure: the revoke command asks `planRevokeBilling`, the `grant.revoke_billing` job carries it out.
 */

export const revokeBillingChoices = ['cancel_now', 'cancel_at_period_end', 'keep_billing'] as const;
/**
 * - `cancel_now`: cancel the subscription at once (no proration, no refund), or expire a checkout
 *   the buyer has not paid yet.
 * - `cancel_at_period_end`: the buyer is not charged again; the period already paid runs out.
 * - `keep_billing`: Stripe is not touched; the subscription keeps charging.
 */
export type RevokeBilling = (typeof revokeBillingChoices)[number];

/** A merchant who takes access away normally does not want to keep charging for it. */
export const DEFAULT_REVOKE_BILLING: RevokeBilling = 'cancel_now';

export const revokeBillingStatuses = ['pending', 'done', 'failed'] as const;
/** `pending`: the Stripe call is queued (or being retried); `done`; `failed`: retries ran out. */
export type RevokeBillingStatus = (typeof revokeBillingStatuses)[number];

export interface BillableGrant {
  id: string;
  stripe_subscription_id: string | null;
  stripe_checkout_session_id: string | null;
  /** Null while the grant never conferred access (its checkout may still be paid). */
  announced_at: number | null;
}

/**
 * Stripe can still charge for the grant: it has a subscription, or a checkout that may yet be paid
 * (an unpaid checkout can still turn into a subscription, or a payment, after the revoke).
 */
export function stripeCanStillCharge(g: BillableGrant): boolean {
  return (
    g.stripe_subscription_id !== null || (g.stripe_checkout_session_id !== null && g.announced_at === null)
  );
}

export type RevokeBillingPlan =
  | { ok: true; choice: RevokeBilling | null; status: RevokeBillingStatus | null }
  | { ok: false; message: string };

/**
 * The billing a revoke records, or why the request does not fit the grant. A grant Stripe cannot
 * charge for (manual, comp, a paid one-time purchase) accepts only the default, which then means
 * nothing: asking to keep billing, or to cancel at period end, where there is no billing shows that
 * the caller has the wrong grant in mind, so it is refused rather than silently ignored.
 */
export function planRevokeBilling(g: BillableGrant, requested: RevokeBilling | undefined): RevokeBillingPlan {
  if (!stripeCanStillCharge(g)) {
    if (requested === undefined || requested === DEFAULT_REVOKE_BILLING)
      return { ok: true, choice: null, status: null };
    return {
      ok: false,
      message: `grant ${g.id} has no Stripe subscription or unpaid checkout, so billing "${requested}" does not apply; omit billing`,
    };
  }
  const choice = requested ?? DEFAULT_REVOKE_BILLING;
  return { ok: true, choice, status: choice === 'keep_billing' ? 'done' : 'pending' };
}
