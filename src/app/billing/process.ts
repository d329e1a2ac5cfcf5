import { z } from 'zod';
import type { AppContext } from '../shared/context.js';
import { markHandled, storedInput } from '../inbox/inbox.js';
import { syncCheckoutSession, syncSubscription } from './lifecycle.js';
import { syncCharge, syncDispute, syncInvoice } from './payments.js';

const storedEvent = z.object({
  id: z.string(),
  type: z.string(),
  created: z.number(),
  data: z.object({ object: z.object({ id: z.string().optional() }).passthrough() }),
});

/**
 * The event types Rolegate acts on, for the webhook endpoint it creates at Stripe (setup
 * checklist): every one has a target below (a test checks it), and nothing else is asked for.
 */
export const STRIPE_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'charge.refunded',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
] as const;

/** Which re-read an event type triggers; types not listed are stored and acknowledged only. */
export type StripeTarget = 'session' | 'subscription' | 'invoice' | 'charge' | 'dispute' | 'none';

export function targetOf(type: string): StripeTarget {
  if (type.startsWith('checkout.session.')) return 'session';
  if (type.startsWith('customer.subscription.'))
    // trial_will_end changes nothing about access (reminder emails are the reconcile part's job).
    return type === 'customer.subscription.trial_will_end' ? 'none' : 'subscription';
  if (type === 'invoice.paid' || type === 'invoice.payment_succeeded' || type === 'invoice.payment_failed')
    return 'invoice';
  if (type === 'charge.refunded' || type === 'charge.refund.updated') return 'charge';
  if (type.startsWith('charge.dispute.')) return 'dispute';
  return 'none';
}

/** Applies one event's effect, by re-reading the object it is about. */
export async function applyStripeEvent(
  ctx: AppContext,
  event: { type: string; created: number; objectId: string },
): Promise<void> {
  const { type, created, objectId } = event;
  switch (targetOf(type)) {
    case 'session':
      await syncCheckoutSession(ctx, objectId, type, created);
      return;
    case 'subscription':
      await syncSubscription(ctx, objectId, created);
      return;
    case 'invoice':
      await syncInvoice(ctx, objectId, created);
      return;
    case 'charge':
      await syncCharge(ctx, objectId);
      return;
    case 'dispute':
      await syncDispute(ctx, objectId);
      return;
    case 'none':
      return;
  }
}

/**
 * The `stripe.process_event` job: loads the stored event, applies it, marks it processed. A failure
 * is recorded on the inbox row and rethrown so the job retries with backoff.
 */
export async function processStripeEvent(ctx: AppContext, { eventId }: { eventId: string }): Promise<void> {
  const row = await storedInput(ctx, 'stripe', eventId);
  if (!row || row.processed_at !== null) return;
  const parsed = storedEvent.safeParse(JSON.parse(row.payload));
  const objectId = parsed.success ? parsed.data.data.object.id : undefined;
  if (!parsed.success || !objectId) {
    await markHandled(ctx, 'stripe', eventId, { outcome: 'ignored', error: null });
    return;
  }
  const e = parsed.data;
  try {
    await applyStripeEvent(ctx, { type: e.type, created: e.created, objectId });
  } catch (err) {
    // Visible on the row while the job retries with backoff.
    const error = err instanceof Error ? err.message : String(err);
    await markHandled(ctx, 'stripe', eventId, { outcome: 'failed', error, handled: false });
    throw err;
  }
  await markHandled(ctx, 'stripe', eventId, { outcome: 'applied', error: null });
}
