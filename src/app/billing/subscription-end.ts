import type { SubscriptionSnapshot } from '../../core/ports/stripe.js';

/** When a subscription ends (a scheduled cancel) or ended; null while it renews. */
export function subscriptionEndsAt(sub: SubscriptionSnapshot): number | null {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return sub.endedAt ?? sub.cancelAt;
  return sub.cancelAt ?? (sub.cancelAtPeriodEnd ? sub.currentPeriodEnd : null);
}
