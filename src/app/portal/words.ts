import type { SubscriptionSnapshot } from '../../core/ports/stripe.js';
import type { PurchaseRow } from './store.js';

/**
 * A purchase's state in the buyer's words (decision 0021): what they have, until when, and what to
 * do when something is wrong. Pure, so every case is tested without Stripe or Discord.
 */

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
export const formatDay = (ms: number) => DATE.format(new Date(ms));

const ENDED_BECAUSE: Record<string, string> = {
  subscription_canceled: 'the subscription was cancelled',
  incomplete_expired: 'the first payment did not go through',
  first_payment_failed: 'the first payment did not go through',
  grace_expired: 'the renewal payment did not go through',
  expired: 'the access period is over',
  refunded: 'the payment was refunded',
  partially_refunded: 'the payment was partly refunded',
  dispute_lost: 'the payment was disputed',
  dispute: 'the payment is disputed',
  subscription_unpaid: 'the renewal payment did not go through',
  subscription_paused: 'the subscription is paused',
};

export type Tone = 'ok' | 'warn' | 'ended';

export interface PurchaseState {
  words: string;
  tone: Tone;
  /** The buyer can stop renewal (cancel at period end). */
  canCancel: boolean;
  /** The buyer cancelled and can undo it before the period ends. */
  canResume: boolean;
}

function endedWords(p: PurchaseRow): PurchaseState {
  const why = ENDED_BECAUSE[p.status_reason ?? ''] ?? 'access was removed by the seller';
  const base = { tone: 'ended' as const, canCancel: false, canResume: false };
  if (p.status === 'suspended') return { ...base, words: `On hold — ${why}.` };
  const when = p.revoked_at ? ` on ${formatDay(p.revoked_at)}` : '';
  return { ...base, words: `Ended${when} — ${why}.` };
}

function subscriptionWords(p: PurchaseRow, sub: SubscriptionSnapshot | null): PurchaseState {
  const status = sub?.status ?? p.stripe_status ?? 'active';
  const endsAt = sub
    ? (sub.cancelAt ?? (sub.cancelAtPeriodEnd ? sub.currentPeriodEnd : null))
    : p.stripe_cancel_at;
  const live = ['active', 'trialing', 'past_due'].includes(status);
  const flags = { canCancel: live && endsAt === null, canResume: live && endsAt !== null };
  if (status === 'past_due') {
    const by = p.grace_ends_at ? ` before ${formatDay(p.grace_ends_at)}` : '';
    return { ...flags, tone: 'warn', words: `Past due — update your card${by} to keep access.` };
  }
  if (status === 'trialing' && sub?.trialEnd) {
    const then = endsAt !== null ? 'then it ends' : 'then it renews';
    return { ...flags, tone: 'ok', words: `Free trial until ${formatDay(sub.trialEnd)}; ${then}.` };
  }
  if (endsAt !== null)
    return { ...flags, tone: 'warn', words: `Active until ${formatDay(endsAt)}; it does not renew.` };
  if (sub?.currentPeriodEnd)
    return { ...flags, tone: 'ok', words: `Active — renews on ${formatDay(sub.currentPeriodEnd)}.` };
  return { ...flags, tone: 'ok', words: 'Active — renews automatically.' };
}

export function purchaseState(p: PurchaseRow, sub: SubscriptionSnapshot | null, now: number): PurchaseState {
  if (p.active !== 1) return endedWords(p);
  if (p.stripe_subscription_id) return subscriptionWords(p, sub);
  const none = { canCancel: false, canResume: false };
  if (p.ends_at !== null && p.ends_at > now)
    return { ...none, tone: 'ok', words: `Active until ${formatDay(p.ends_at)}.` };
  return {
    ...none,
    tone: 'ok',
    words: p.source === 'manual' || p.source === 'comp' ? 'Active.' : 'Active — lifetime access.',
  };
}
