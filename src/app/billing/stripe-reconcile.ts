import { DAY_MS } from '../../core/clock.js';
import type { AppContext } from '../shared/context.js';
import { feedUndeliveredEvents } from './ingest.js';
import { syncCheckoutSession, syncSubscription } from './lifecycle.js';
import { openSessionsToReconcile, subscriptionsToReconcile } from './store/grants.js';

/** The periodic job that compares grants with Stripe. */
/** Every 15 minutes: a lost webhook leaves access wrong for at most this long (well under one period). */
export const STRIPE_RECONCILE_EVERY_MS = 15 * 60_000;

export interface StripeReconcileReport {
  subscriptions: number;
  sessions: number;
  undeliveredEvents: number;
  newEvents: number;
  errors: string[];
}

/**
 * Re-reads the Stripe objects behind grants that can still change — subscriptions of grants not
 * revoked, and recent checkouts still awaiting payment — and applies their current state; then feeds
 * the events Stripe failed to deliver (`delivery_success=false`) into the same inbox.
 * One object failing does not stop the others.
 */
export async function reconcileStripe(ctx: AppContext, options: { limit?: number } = {}) {
  const stripe = ctx.ports.stripe;
  const report: StripeReconcileReport = {
    subscriptions: 0,
    sessions: 0,
    undeliveredEvents: 0,
    newEvents: 0,
    errors: [],
  };
  if (!stripe) return report;
  const limit = options.limit ?? 5000;
  const subs = await subscriptionsToReconcile(ctx.db.kysely, limit);
  for (const id of subs) {
    try {
      await syncSubscription(ctx, id);
      report.subscriptions++;
    } catch (err) {
      report.errors.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const now = ctx.clock.now();
  const sessions = await openSessionsToReconcile(ctx.db.kysely, now - 2 * DAY_MS, limit);
  for (const id of sessions) {
    try {
      await syncCheckoutSession(ctx, id);
      report.sessions++;
    } catch (err) {
      report.errors.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    const events = await stripe.listUndeliveredEvents(100);
    report.undeliveredEvents = events.length;
    report.newEvents = await feedUndeliveredEvents(ctx, events);
  } catch (err) {
    report.errors.push(`events: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (report.errors.length)
    ctx.log.warn({ errors: report.errors.slice(0, 20) }, 'stripe reconcile had errors');
  return report;
}
