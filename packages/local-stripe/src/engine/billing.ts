/** Subscriptions and their invoices: creation, collection and renewal at period end. */
import type Stripe from 'stripe';
import { snapshot } from '../events.js';
import { newId } from '../ids.js';
import {
  buildInvoice,
  buildInvoiceLine,
  buildInvoicePayment,
  buildSubscription,
  buildSubscriptionItem,
} from '../objects/billing.js';
import { addInterval, asInterval } from '../objects/catalog.js';
import { previousAttributes, SandboxActionError, type Engine } from './context.js';
import {
  chargePaymentIntent,
  createPaymentIntent,
  settlePaymentIntent,
  type ChargeOutcome,
} from './payments.js';

export interface PricedQuantity {
  price: Stripe.Price;
  quantity: number;
}

const DAY = 86_400;

export function productName(engine: Engine, price: Stripe.Price): string {
  const id = typeof price.product === 'string' ? price.product : price.product.id;
  return engine.store.products.get(id)?.name ?? price.nickname ?? id;
}

export function periodOf(sub: Stripe.Subscription): { start: number; end: number } {
  const first = sub.items.data[0];
  if (first === undefined) throw new SandboxActionError(`subscription ${sub.id} has no items`);
  // With several items the subscription ends its period when the earliest item does.
  const end = Math.min(...sub.items.data.map((i) => i.current_period_end));
  return { start: first.current_period_start, end };
}

export interface NewSubscription {
  customer: string;
  recurring: PricedQuantity[];
  metadata: Record<string, string>;
  description: string | null;
  trialDays: number | null;
  status: Stripe.Subscription.Status;
}

/** Stores a subscription whose first period starts now (or whose trial does). Emits nothing. */
export function createSubscription(engine: Engine, input: NewSubscription): Stripe.Subscription {
  const now = engine.clock.nowSeconds();
  const id = newId('subscription');
  const trialEnd = input.trialDays === null ? null : now + input.trialDays * DAY;
  const items = input.recurring.map(({ price, quantity }) => {
    const recurring = price.recurring;
    if (recurring === null) throw new SandboxActionError(`price ${price.id} is not recurring`);
    return buildSubscriptionItem({
      id: newId('subscriptionItem'),
      subscription: id,
      price,
      quantity,
      periodStart: now,
      periodEnd: trialEnd ?? addInterval(now, asInterval(recurring.interval), recurring.interval_count),
      now,
    });
  });
  const first = input.recurring[0];
  if (first === undefined) throw new SandboxActionError('a subscription needs at least one recurring price');
  const sub = buildSubscription({
    id,
    customer: input.customer,
    currency: first.price.currency,
    status: input.status,
    metadata: input.metadata,
    description: input.description,
    items,
    trialStart: trialEnd === null ? null : now,
    trialEnd,
    defaultPaymentMethod: newId('paymentMethod'),
    latestInvoice: null,
    now,
  });
  engine.store.subscriptions.set(sub.id, sub);
  engine.store.subscriptionPlan(sub.id);
  return sub;
}

/** Finalizes a new invoice for the subscription's current period (plus one-time extras) and emits it. */
export function invoiceSubscription(
  engine: Engine,
  sub: Stripe.Subscription,
  reason: 'subscription_create' | 'subscription_cycle',
  usagePeriod: { start: number; end: number },
  extras: PricedQuantity[] = [],
  id = newId('invoice'),
): Stripe.Invoice {
  const now = engine.clock.nowSeconds();
  const trialing = sub.status === 'trialing';
  const lines = [
    ...sub.items.data.map((item) => {
      const line = buildInvoiceLine({
        id: newId('invoiceLine'),
        invoice: id,
        price: item.price,
        productName: productName(engine, item.price),
        quantity: item.quantity ?? 1,
        periodStart: item.current_period_start,
        periodEnd: item.current_period_end,
        subscription: sub.id,
        subscriptionItem: item.id,
      });
      if (trialing) {
        // A trial period is invoiced at zero.
        line.amount = 0;
        line.subtotal = 0;
        line.description = `Trial period for ${productName(engine, item.price)}`;
      }
      return line;
    }),
    ...extras.map(({ price, quantity }) =>
      buildInvoiceLine({
        id: newId('invoiceLine'),
        invoice: id,
        price,
        productName: productName(engine, price),
        quantity,
        periodStart: now,
        periodEnd: now,
        subscription: sub.id,
        subscriptionItem: null,
      }),
    ),
  ];
  // Prorations left by earlier plan changes (`create_prorations`) are billed with this invoice.
  const plan = engine.store.subscriptionPlan(sub.id);
  const pending = plan.pendingProrations.map((line) => ({ ...line, id: newId('invoiceLine'), invoice: id }));
  plan.pendingProrations = [];
  return issueInvoice(engine, sub, reason, usagePeriod, [...lines, ...pending], id);
}

/** Creates and finalizes an open invoice of `sub` with these lines (invoice.created, .finalized). */
export function issueInvoice(
  engine: Engine,
  sub: Stripe.Subscription,
  reason: Stripe.Invoice.BillingReason,
  usagePeriod: { start: number; end: number },
  lines: Stripe.InvoiceLineItem[],
  id = newId('invoice'),
): Stripe.Invoice {
  const now = engine.clock.nowSeconds();
  const customer = engine.store.customer(customerId(sub));
  const invoice = buildInvoice({
    id,
    customer: customer.id,
    customerEmail: customer.email,
    customerName: customer.name ?? null,
    currency: sub.currency,
    lines,
    billingReason: reason,
    subscription: { id: sub.id, metadata: sub.metadata },
    periodStart: usagePeriod.start,
    periodEnd: usagePeriod.end,
    number: engine.store.nextInvoiceNumber(),
    hostedUrl: `${engine.baseUrl()}/invoices/${id}`,
    now,
  });
  engine.store.invoices.set(invoice.id, invoice);
  sub.latest_invoice = invoice.id;
  engine.events.emit('invoice.created', invoice);
  engine.events.emit('invoice.finalized', invoice);
  return invoice;
}

export function customerId(sub: Stripe.Subscription): string {
  return typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
}

/**
 * Tries to collect an open invoice. Zero-amount invoices are paid without a payment. Returns the
 * outcome actually reached ('succeeded' for zero amounts).
 */
export function collectInvoice(
  engine: Engine,
  invoice: Stripe.Invoice,
  outcome: ChargeOutcome,
  method: 'card' | 'us_bank_account' = 'card',
): ChargeOutcome {
  if (invoice.amount_due === 0) {
    markInvoicePaid(engine, invoice);
    return 'succeeded';
  }
  const customer = engine.store.customer(String(invoice.customer));
  let payment = [...engine.store.invoicePayments.values()].find((p) => p.invoice === invoice.id);
  let pi: Stripe.PaymentIntent;
  if (payment === undefined) {
    pi = createPaymentIntent(engine, {
      amount: invoice.amount_due,
      currency: invoice.currency,
      customer: customer.id,
      description:
        invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
      metadata: {},
      receiptEmail: customer.email,
      method,
    });
    payment = buildInvoicePayment({
      id: newId('invoicePayment'),
      invoice: invoice.id,
      paymentIntent: pi.id,
      amount: invoice.amount_due,
      currency: invoice.currency,
      status: 'open',
      now: engine.clock.nowSeconds(),
    });
    engine.store.invoicePayments.set(payment.id, payment);
  } else {
    pi = engine.store.paymentIntent(String(payment.payment.payment_intent));
  }
  chargePaymentIntent(engine, pi, outcome, { email: customer.email, name: customer.name ?? null }, method);
  invoice.attempted = true;
  invoice.attempt_count += 1;
  if (outcome === 'succeeded') markInvoicePaid(engine, invoice);
  if (outcome === 'failed') failInvoice(engine, invoice);
  return outcome;
}

/** A delayed payment on the invoice settles. */
export function settleInvoice(engine: Engine, invoice: Stripe.Invoice, succeeded: boolean): void {
  const payment = [...engine.store.invoicePayments.values()].find((p) => p.invoice === invoice.id);
  if (payment === undefined) throw new SandboxActionError(`invoice ${invoice.id} has no payment`);
  settlePaymentIntent(engine, engine.store.paymentIntent(String(payment.payment.payment_intent)), succeeded);
  if (succeeded) markInvoicePaid(engine, invoice);
  else failInvoice(engine, invoice);
}

function failInvoice(engine: Engine, invoice: Stripe.Invoice): void {
  invoice.next_payment_attempt = engine.clock.nowSeconds() + 3 * DAY;
  engine.events.emit('invoice.payment_failed', invoice);
}

function markInvoicePaid(engine: Engine, invoice: Stripe.Invoice): void {
  const now = engine.clock.nowSeconds();
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.attempted = true;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = now;
  engine.events.emit('invoice.paid', invoice);
  engine.events.emit('invoice.payment_succeeded', invoice);
  const payment = [...engine.store.invoicePayments.values()].find((p) => p.invoice === invoice.id);
  if (payment !== undefined) {
    payment.status = 'paid';
    payment.amount_paid = payment.amount_requested;
    payment.status_transitions.paid_at = now;
    engine.events.emit('invoice_payment.paid', payment);
  }
}

export function emitSubscriptionUpdated(
  engine: Engine,
  sub: Stripe.Subscription,
  before: Stripe.Subscription,
): void {
  engine.events.emit('customer.subscription.updated', sub, previousAttributes(before, snapshot(sub)));
}

/**
 * One renewal at period end: items move to the next period (a trial ends), the subscription is
 * updated, and a cycle invoice is created and collected. A declined charge leaves it past_due.
 */
export function renewSubscription(engine: Engine, sub: Stripe.Subscription): void {
  const plan = engine.store.subscriptionPlan(sub.id);
  const fail = plan.failNextPayment;
  plan.failNextPayment = false;
  const before = snapshot(sub);
  const previous = periodOf(sub);
  for (const item of sub.items.data) {
    const recurring = item.price.recurring;
    if (recurring === null) continue;
    const start = item.current_period_end;
    item.current_period_start = start;
    item.current_period_end = addInterval(
      start,
      asInterval(recurring.interval),
      recurring.interval_count,
      sub.billing_cycle_anchor,
    );
  }
  if (sub.status === 'trialing') sub.status = 'active';
  // Stripe rolls the period over first (customer.subscription.updated), then invoices.
  const invoiceId = newId('invoice');
  sub.latest_invoice = invoiceId;
  emitSubscriptionUpdated(engine, sub, before);
  const invoice = invoiceSubscription(engine, sub, 'subscription_cycle', previous, [], invoiceId);
  const outcome = collectInvoice(engine, invoice, fail ? 'failed' : 'succeeded');
  if (outcome === 'failed') {
    const beforeFailure = snapshot(sub);
    sub.status = 'past_due';
    emitSubscriptionUpdated(engine, sub, beforeFailure);
  }
}

/** Ends a subscription now (or at `endedAt`), as a cancellation or after failed payments. */
export function endSubscription(
  engine: Engine,
  sub: Stripe.Subscription,
  reason: Stripe.Subscription.CancellationDetails.Reason,
  endedAt = engine.clock.nowSeconds(),
): void {
  const now = engine.clock.nowSeconds();
  sub.status = 'canceled';
  sub.ended_at = endedAt;
  if (sub.canceled_at === null) sub.canceled_at = now;
  if (sub.cancellation_details !== null && sub.cancellation_details.reason === null) {
    sub.cancellation_details.reason = reason;
  }
  engine.events.emit('customer.subscription.deleted', sub);
}
