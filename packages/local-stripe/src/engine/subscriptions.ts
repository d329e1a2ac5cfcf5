/** Subscription changes requested by the merchant, the buyer (portal) or the simulator. */
import type Stripe from 'stripe';
import { snapshot } from '../events.js';
import { newId } from '../ids.js';
import { buildSubscriptionItem } from '../objects/billing.js';
import { SandboxActionError, type Engine } from './context.js';
import {
  collectInvoice,
  emitSubscriptionUpdated,
  endSubscription,
  invoiceSubscription,
  periodOf,
} from './billing.js';
import { addInterval, asInterval } from '../objects/catalog.js';

const LIVE: ReadonlyArray<Stripe.Subscription.Status> = [
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'paused',
  'incomplete',
];

function requireStatus(
  sub: Stripe.Subscription,
  allowed: ReadonlyArray<Stripe.Subscription.Status>,
  action: string,
) {
  if (!allowed.includes(sub.status)) {
    throw new SandboxActionError(`cannot ${action} subscription ${sub.id}: its status is ${sub.status}`);
  }
}

/** Runs `mutate` and, if anything changed, sends one `customer.subscription.updated`. */
export function updateSubscription(
  engine: Engine,
  sub: Stripe.Subscription,
  mutate: () => void,
): Stripe.Subscription {
  const before = snapshot(sub);
  mutate();
  if (JSON.stringify(before) !== JSON.stringify(sub)) emitSubscriptionUpdated(engine, sub, before);
  return sub;
}

export function applyCancelAtPeriodEnd(engine: Engine, sub: Stripe.Subscription, value: boolean): void {
  requireStatus(sub, LIVE, 'change the cancellation of');
  if (sub.cancel_at_period_end === value) return;
  sub.cancel_at_period_end = value;
  sub.cancel_at = value ? periodOf(sub).end : null;
  sub.canceled_at = value ? engine.clock.nowSeconds() : null;
  sub.cancellation_details = {
    comment: null,
    feedback: null,
    feedback_option: null,
    reason: value ? 'cancellation_requested' : null,
  };
}

/** Schedules (or clears) the end of the subscription at the end of the current period. */
export function setCancelAtPeriodEnd(
  engine: Engine,
  sub: Stripe.Subscription,
  value: boolean,
): Stripe.Subscription {
  return updateSubscription(engine, sub, () => applyCancelAtPeriodEnd(engine, sub, value));
}

/** Sets or clears an explicit `cancel_at` timestamp. */
export function applyCancelAt(engine: Engine, sub: Stripe.Subscription, cancelAt: number | null): void {
  requireStatus(sub, LIVE, 'change the cancellation of');
  sub.cancel_at = cancelAt;
  sub.cancel_at_period_end = cancelAt !== null && cancelAt === periodOf(sub).end;
  sub.canceled_at = cancelAt === null ? null : engine.clock.nowSeconds();
  if (sub.cancellation_details !== null) {
    sub.cancellation_details.reason = cancelAt === null ? null : 'cancellation_requested';
  }
}

export function cancelNow(
  engine: Engine,
  sub: Stripe.Subscription,
  comment: string | null = null,
): Stripe.Subscription {
  requireStatus(sub, LIVE, 'cancel');
  sub.canceled_at = engine.clock.nowSeconds();
  if (sub.cancellation_details !== null) {
    sub.cancellation_details.reason = 'cancellation_requested';
    sub.cancellation_details.comment = comment;
  }
  endSubscription(engine, sub, 'cancellation_requested');
  return sub;
}

export function pause(engine: Engine, sub: Stripe.Subscription): Stripe.Subscription {
  requireStatus(sub, ['active', 'trialing', 'past_due'], 'pause');
  const before = snapshot(sub);
  sub.status = 'paused';
  sub.status_details = {
    paused: {
      subscription: { type: 'pause_requested' },
      transitioned_at: engine.clock.nowSeconds(),
      type: 'subscription',
    },
  };
  emitSubscriptionUpdated(engine, sub, before);
  engine.events.emit('customer.subscription.paused', sub);
  return sub;
}

/** Resumes a paused subscription with a new period starting now, invoiced and paid. */
export function resume(engine: Engine, sub: Stripe.Subscription): Stripe.Subscription {
  requireStatus(sub, ['paused'], 'resume');
  const before = snapshot(sub);
  const now = engine.clock.nowSeconds();
  const previous = periodOf(sub);
  for (const item of sub.items.data) {
    const recurring = item.price.recurring;
    if (recurring === null) continue;
    item.current_period_start = now;
    item.current_period_end = addInterval(now, asInterval(recurring.interval), recurring.interval_count);
  }
  sub.billing_cycle_anchor = now;
  sub.status = 'active';
  delete sub.status_details;
  const invoiceId = newId('invoice');
  sub.latest_invoice = invoiceId;
  emitSubscriptionUpdated(engine, sub, before);
  engine.events.emit('customer.subscription.resumed', sub);
  const invoice = invoiceSubscription(engine, sub, 'subscription_cycle', previous, [], invoiceId);
  collectInvoice(engine, invoice, 'succeeded');
  return sub;
}

export interface ItemChange {
  id?: string;
  price?: Stripe.Price;
  quantity?: number;
  deleted?: boolean;
}

/** Applies item changes with `proration_behavior=none`: no invoice, the next renewal bills the new price. */
export function applyItemChanges(engine: Engine, sub: Stripe.Subscription, changes: ItemChange[]): void {
  requireStatus(sub, ['active', 'trialing', 'past_due', 'unpaid', 'paused'], 'change the items of');
  const now = engine.clock.nowSeconds();
  const period = periodOf(sub);
  for (const change of changes) {
    if (change.price !== undefined && change.price.recurring === null) {
      throw new SandboxActionError(`price ${change.price.id} is not recurring`);
    }
    if (change.id === undefined) {
      if (change.price === undefined) throw new SandboxActionError('a new item needs a price');
      sub.items.data.push(
        buildSubscriptionItem({
          id: newId('subscriptionItem'),
          subscription: sub.id,
          price: change.price,
          quantity: change.quantity ?? 1,
          periodStart: period.start,
          periodEnd: period.end,
          now,
        }),
      );
      continue;
    }
    const index = sub.items.data.findIndex((i) => i.id === change.id);
    const item = sub.items.data[index];
    if (item === undefined) throw new SandboxActionError(`subscription ${sub.id} has no item ${change.id}`);
    if (change.deleted === true) {
      sub.items.data.splice(index, 1);
      continue;
    }
    if (change.price !== undefined) {
      const replaced = buildSubscriptionItem({
        id: item.id,
        subscription: sub.id,
        price: change.price,
        quantity: change.quantity ?? item.quantity ?? 1,
        periodStart: item.current_period_start,
        periodEnd: item.current_period_end,
        now: item.created,
      });
      sub.items.data[index] = replaced;
    } else if (change.quantity !== undefined) {
      item.quantity = change.quantity;
    }
  }
  if (sub.items.data.length === 0) throw new SandboxActionError('a subscription needs at least one item');
}

/** Swaps the price of the first item (a plan change, no proration). */
export function changePlan(
  engine: Engine,
  sub: Stripe.Subscription,
  price: Stripe.Price,
): Stripe.Subscription {
  const item = sub.items.data[0];
  if (item === undefined) throw new SandboxActionError(`subscription ${sub.id} has no items`);
  return updateSubscription(engine, sub, () => applyItemChanges(engine, sub, [{ id: item.id, price }]));
}

export function markUnpaid(engine: Engine, sub: Stripe.Subscription): Stripe.Subscription {
  requireStatus(sub, ['past_due'], 'mark unpaid');
  const before = snapshot(sub);
  sub.status = 'unpaid';
  emitSubscriptionUpdated(engine, sub, before);
  return sub;
}

/** Smart Retries gave up and the account's setting is "cancel the subscription". */
export function cancelAfterFailures(engine: Engine, sub: Stripe.Subscription): Stripe.Subscription {
  requireStatus(sub, ['past_due', 'unpaid'], 'cancel after failed payments');
  sub.canceled_at = engine.clock.nowSeconds();
  if (sub.cancellation_details !== null) sub.cancellation_details.reason = 'payment_failed';
  endSubscription(engine, sub, 'payment_failed');
  return sub;
}

/** The open invoice of a past_due or unpaid subscription is finally paid: back to active. */
export function recoverPayment(engine: Engine, sub: Stripe.Subscription): Stripe.Subscription {
  requireStatus(sub, ['past_due', 'unpaid'], 'recover the payment of');
  const invoice = openInvoice(engine, sub);
  collectInvoice(engine, invoice, 'succeeded');
  const before = snapshot(sub);
  sub.status = 'active';
  emitSubscriptionUpdated(engine, sub, before);
  return sub;
}

/** Another collection attempt on the open invoice fails (Smart Retries); the status stays. */
export function retryFails(engine: Engine, sub: Stripe.Subscription): Stripe.Subscription {
  collectInvoice(engine, openInvoice(engine, sub), 'failed');
  return sub;
}

export function openInvoice(engine: Engine, sub: Stripe.Subscription): Stripe.Invoice {
  const id = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : sub.latest_invoice?.id;
  const invoice = id === undefined ? undefined : engine.store.invoices.get(id);
  if (invoice === undefined || invoice.status !== 'open') {
    throw new SandboxActionError(`subscription ${sub.id} has no open invoice`);
  }
  return invoice;
}
