import type Stripe from 'stripe';
import type {
  ChargeSnapshot,
  DisputeSnapshot,
  ReceiptSnapshot,
  SubscriptionSnapshot,
} from '../../core/ports/stripe.js';

/** What Stripe's objects become for the port: the few fields Rolegate decides on, times in epoch ms. */

export const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

const ms = (seconds: number | null | undefined): number | null => (seconds == null ? null : seconds * 1000);

export function subscriptionSnapshot(sub: Stripe.Subscription): SubscriptionSnapshot {
  const ends = sub.items.data.map((i) => i.current_period_end).filter((n) => typeof n === 'number');
  return {
    id: sub.id,
    status: sub.status,
    customerId: idOf(sub.customer) ?? '',
    metadata: { ...sub.metadata },
    priceIds: sub.items.data.map((i) => i.price.id),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    cancelAt: ms(sub.cancel_at),
    currentPeriodEnd: ends.length ? Math.min(...ends) * 1000 : null,
    trialEnd: ms(sub.trial_end),
    endedAt: ms(sub.ended_at),
    pendingUpdate: sub.pending_update !== null && sub.pending_update !== undefined,
  };
}

export function receiptSnapshot(inv: Stripe.Invoice): ReceiptSnapshot {
  return {
    id: inv.id ?? '',
    number: inv.number,
    status: inv.status,
    amountPaid: inv.amount_paid,
    amountDue: inv.amount_due,
    currency: inv.currency,
    created: inv.created * 1000,
    subscriptionId: idOf(inv.parent?.subscription_details?.subscription),
    hostedUrl: inv.hosted_invoice_url ?? null,
  };
}

export function chargeSnapshot(c: Stripe.Charge): ChargeSnapshot {
  return {
    id: c.id,
    paymentIntentId: idOf(c.payment_intent),
    amount: c.amount,
    amountRefunded: c.amount_refunded,
    refunded: c.refunded,
  };
}

export function disputeSnapshot(d: Stripe.Dispute): DisputeSnapshot {
  return { id: d.id, status: d.status, paymentIntentId: idOf(d.payment_intent), chargeId: idOf(d.charge) };
}
