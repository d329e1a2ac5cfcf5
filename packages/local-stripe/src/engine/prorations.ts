/**
 * Plan changes with prorations, as Stripe makes them on `POST /v1/subscriptions/:id` with new item
 * prices or quantities:
 * - `proration_behavior=create_prorations` (Stripe's default): the change applies now; a credit for
 *   the unused time of the old price and a charge for the rest of the period at the new price wait
 *   as pending lines and are billed with the next invoice.
 * - `always_invoice`: the same two lines are invoiced (billing_reason `subscription_update`) and
 *   collected now. With `payment_behavior=pending_if_incomplete` the change waits for that payment:
 *   a declined charge leaves the old items in place, the requested ones under `pending_update`,
 *   and the invoice open; paying it (`POST /v1/invoices/:id/pay`) applies them. With
 *   `error_if_incomplete` a declined charge is a 402 and nothing changes. With `allow_incomplete`
 *   (the default) the change applies and a declined charge leaves the subscription past_due.
 * - `none`: the change applies, nothing is billed until the renewal.
 * Trialing subscriptions are never prorated. A net credit (a downgrade) goes to the customer's
 * balance; the local Stripe does not apply that balance to later invoices.
 */
import type Stripe from 'stripe';
import { StripeApiError } from '../errors.js';
import { newId } from '../ids.js';
import { buildInvoiceLine } from '../objects/billing.js';
import { SandboxActionError, type Engine } from './context.js';
import { collectInvoice, emitSubscriptionUpdated, issueInvoice, periodOf, productName } from './billing.js';
import { snapshot } from '../events.js';
import { applyItemChanges, type ItemChange } from './subscriptions.js';

export type ProrationBehavior = 'none' | 'create_prorations' | 'always_invoice';
export type PaymentBehavior =
  'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';

export interface ChangeOptions {
  prorationBehavior: ProrationBehavior;
  paymentBehavior: PaymentBehavior;
  /** When the change counts from (seconds); default now. */
  prorationDate?: number;
}

const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

function prorationLine(
  engine: Engine,
  sub: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  price: Stripe.Price,
  quantity: number,
  window: { at: number; end: number; fraction: number },
  credit: boolean,
): Stripe.InvoiceLineItem {
  const line = buildInvoiceLine({
    id: newId('invoiceLine'),
    invoice: '',
    price,
    productName: productName(engine, price),
    quantity,
    periodStart: window.at,
    periodEnd: window.end,
    subscription: sub.id,
    subscriptionItem: item.id,
  });
  const amount = Math.round((price.unit_amount ?? 0) * quantity * window.fraction) * (credit ? -1 : 1);
  line.amount = amount;
  line.subtotal = amount;
  line.description = `${credit ? 'Unused time on' : 'Remaining time on'} ${quantity} × ${productName(engine, price)} after ${day(window.at)}`;
  if (line.parent?.subscription_item_details) line.parent.subscription_item_details.proration = true;
  return line;
}

/** The credit and charge lines a change of item prices or quantities makes at `at`. */
export function prorationLines(
  engine: Engine,
  sub: Stripe.Subscription,
  changes: readonly ItemChange[],
  at: number,
): Stripe.InvoiceLineItem[] {
  if (sub.status === 'trialing') return [];
  const period = periodOf(sub);
  const span = period.end - period.start;
  if (span <= 0 || at >= period.end) return [];
  const window = { at, end: period.end, fraction: Math.min(1, (period.end - at) / span) };
  const lines: Stripe.InvoiceLineItem[] = [];
  for (const change of changes) {
    if (change.id === undefined || change.deleted === true) continue;
    const item = sub.items.data.find((i) => i.id === change.id);
    if (item === undefined) continue;
    const oldQuantity = item.quantity ?? 1;
    const price = change.price ?? item.price;
    const quantity = change.quantity ?? oldQuantity;
    if (price.id === item.price.id && quantity === oldQuantity) continue;
    lines.push(prorationLine(engine, sub, item, item.price, oldQuantity, window, true));
    lines.push(prorationLine(engine, sub, item, price, quantity, window, false));
  }
  return lines;
}

function pendingUpdate(
  sub: Stripe.Subscription,
  changes: readonly ItemChange[],
  now: number,
): Stripe.Subscription.PendingUpdate {
  const items = sub.items.data.map((item) => {
    const change = changes.find((c) => c.id === item.id);
    return { ...item, price: change?.price ?? item.price, quantity: change?.quantity ?? item.quantity };
  });
  return {
    billing_cycle_anchor: null,
    expires_at: now + 23 * 3600,
    subscription_items: items,
    trial_end: null,
    trial_from_plan: null,
  } as Stripe.Subscription.PendingUpdate;
}

/** What the subscription asked for while its `pending_update` waits for this invoice. */
const waiting = new WeakMap<Stripe.Invoice, { changes: ItemChange[] }>();

/** Applies item changes with the proration and payment behaviours above; emits what Stripe emits. */
export function changeItems(
  engine: Engine,
  sub: Stripe.Subscription,
  changes: ItemChange[],
  options: ChangeOptions,
): Stripe.Subscription {
  const now = engine.clock.nowSeconds();
  const lines =
    options.prorationBehavior === 'none'
      ? []
      : prorationLines(engine, sub, changes, options.prorationDate ?? now);
  const apply = () => {
    const before = snapshot(sub);
    applyItemChanges(engine, sub, changes);
    emitSubscriptionUpdated(engine, sub, before);
  };
  if (lines.length === 0) return (apply(), sub);
  if (options.prorationBehavior === 'create_prorations') {
    engine.store.subscriptionPlan(sub.id).pendingProrations.push(...lines);
    return (apply(), sub);
  }
  const plan = engine.store.subscriptionPlan(sub.id);
  const decline = plan.failNextPayment;
  plan.failNextPayment = false;
  const waitForPayment =
    options.paymentBehavior === 'pending_if_incomplete' || options.paymentBehavior === 'error_if_incomplete';
  if (!waitForPayment) apply();
  const invoice = issueInvoice(engine, sub, 'subscription_update', { start: now, end: now }, lines);
  creditNegative(engine, invoice);
  const outcome = collectInvoice(engine, invoice, decline ? 'failed' : 'succeeded');
  if (outcome === 'succeeded') {
    if (waitForPayment) apply();
    return sub;
  }
  if (options.paymentBehavior === 'error_if_incomplete') {
    invoice.status = 'void';
    engine.events.emit('invoice.voided', invoice);
    // As Stripe: a 402 card error, and the subscription keeps its items.
    throw new StripeApiError(402, 'card_error', 'Your card was declined.', 'card_declined');
  }
  const before = snapshot(sub);
  if (waitForPayment) {
    sub.pending_update = pendingUpdate(sub, changes, now);
    waiting.set(invoice, { changes });
  } else sub.status = 'past_due';
  sub.latest_invoice = invoice.id;
  emitSubscriptionUpdated(engine, sub, before);
  return sub;
}

/** A downgrade's net credit goes to the customer's balance; the invoice is then for nothing. */
function creditNegative(engine: Engine, invoice: Stripe.Invoice): void {
  if (invoice.amount_due >= 0) return;
  const customer = engine.store.customer(String(invoice.customer));
  customer.balance += invoice.amount_due;
  invoice.amount_due = 0;
  invoice.amount_remaining = 0;
}

/**
 * `POST /v1/invoices/:id/pay`: collects an open invoice (declined if the simulator was told to
 * fail the subscription's next payment). A paid invoice that a `pending_update` waited for applies
 * it; a paid invoice of a past_due or unpaid subscription makes it active again.
 */
export function payInvoice(engine: Engine, invoice: Stripe.Invoice): Stripe.Invoice {
  if (invoice.status !== 'open') throw new SandboxActionError(`Invoice is already ${invoice.status}.`);
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? engine.store.subscriptions.get(subId) : undefined;
  const plan = sub ? engine.store.subscriptionPlan(sub.id) : null;
  const decline = plan?.failNextPayment ?? false;
  if (plan) plan.failNextPayment = false;
  const outcome = collectInvoice(engine, invoice, decline ? 'failed' : 'succeeded');
  if (outcome !== 'succeeded' || sub === undefined) return invoice;
  const before = snapshot(sub);
  const wait = waiting.get(invoice);
  if (wait && sub.pending_update !== null) {
    waiting.delete(invoice);
    applyItemChanges(engine, sub, wait.changes);
    sub.pending_update = null;
  }
  if (sub.status === 'past_due' || sub.status === 'unpaid') sub.status = 'active';
  if (JSON.stringify(before) !== JSON.stringify(sub)) emitSubscriptionUpdated(engine, sub, before);
  return invoice;
}
