/**
 * Checkout: what happens when the buyer pays, is declined, or pays with a delayed method, and
 * the events Stripe sends for each, in Stripe's order.
 */
import type Stripe from 'stripe';
import { snapshot } from '../events.js';
import { newId } from '../ids.js';
import { customerDetails } from '../objects/checkout.js';
import { buildCustomer } from '../objects/customer.js';
import {
  collectInvoice,
  createSubscription,
  emitSubscriptionUpdated,
  invoiceSubscription,
  settleInvoice,
  type PricedQuantity,
} from './billing.js';
import { SandboxActionError, type Engine } from './context.js';
import { chargePaymentIntent, createPaymentIntent, settlePaymentIntent } from './payments.js';

export type CheckoutOutcome = 'paid' | 'delayed' | 'declined';

export interface CompleteCheckoutInput {
  outcome: CheckoutOutcome;
  /** The email typed on the page; required when the session has neither customer nor customer_email. */
  email?: string;
  name?: string;
}

export interface CheckoutResult {
  session: Stripe.Checkout.Session;
  /** Where the buyer is sent: success_url with `{CHECKOUT_SESSION_ID}` filled in; null when declined. */
  redirectUrl: string | null;
  declined: boolean;
}

export function successRedirect(session: Stripe.Checkout.Session): string | null {
  return session.success_url === null
    ? null
    : session.success_url.split('{CHECKOUT_SESSION_ID}').join(session.id);
}

function lineItems(engine: Engine, session: Stripe.Checkout.Session): PricedQuantity[] {
  return (engine.store.sessionLineItems.get(session.id) ?? []).flatMap((li) =>
    li.price === null ? [] : [{ price: li.price, quantity: li.quantity ?? 1 }],
  );
}

function buyerEmail(engine: Engine, session: Stripe.Checkout.Session, typed: string | undefined): string {
  if (typeof session.customer === 'string') {
    const email = engine.store.customer(session.customer).email;
    if (email !== null) return email;
  }
  const email = session.customer_email ?? typed?.trim();
  if (email === undefined || email === '' || !email.includes('@')) {
    throw new SandboxActionError('an email address is required to complete this checkout');
  }
  return email;
}

export function completeCheckout(
  engine: Engine,
  sessionId: string,
  input: CompleteCheckoutInput,
): CheckoutResult {
  const session = engine.store.session(sessionId);
  if (session.status === 'open' && session.expires_at <= engine.clock.nowSeconds())
    expireSession(engine, session);
  if (session.status !== 'open')
    throw new SandboxActionError(`checkout session ${session.id} is ${session.status}`);
  const email = buyerEmail(engine, session, input.email);
  const name = input.name ?? null;
  if (input.outcome === 'declined') {
    decline(engine, session, email, name);
    return { session, redirectUrl: null, declined: true };
  }
  const delayed = input.outcome === 'delayed';
  const method = delayed ? 'us_bank_account' : 'card';
  const plan = engine.store.sessionPlan(session.id);
  const customer = ensureCustomer(engine, session, email, name);
  session.customer_details = customerDetails(email, name);
  if (session.mode === 'payment') {
    const pi = paymentIntentFor(engine, session, customer, email);
    chargePaymentIntent(engine, pi, delayed ? 'processing' : 'succeeded', { email, name }, method);
    session.payment_status = delayed ? 'unpaid' : 'paid';
  } else {
    const items = lineItems(engine, session);
    const sub = createSubscription(engine, {
      customer: requireCustomer(customer),
      recurring: items.filter((i) => i.price.recurring !== null),
      metadata: { ...plan.subscriptionMetadata },
      description: plan.subscriptionDescription,
      trialDays: plan.trialPeriodDays,
      status: plan.trialPeriodDays === null ? 'incomplete' : 'trialing',
    });
    const invoiceId = newId('invoice');
    sub.latest_invoice = invoiceId;
    engine.events.emit('customer.subscription.created', sub);
    const now = engine.clock.nowSeconds();
    const oneTime = items.filter((i) => i.price.recurring === null);
    const invoice = invoiceSubscription(
      engine,
      sub,
      'subscription_create',
      { start: now, end: now },
      oneTime,
      invoiceId,
    );
    const outcome = collectInvoice(engine, invoice, delayed ? 'processing' : 'succeeded', method);
    if (sub.status === 'incomplete' && outcome === 'succeeded') {
      const before = snapshot(sub);
      sub.status = 'active';
      emitSubscriptionUpdated(engine, sub, before);
    }
    session.subscription = sub.id;
    session.invoice = invoice.id;
    session.payment_status =
      invoice.amount_due === 0 ? 'no_payment_required' : outcome === 'succeeded' ? 'paid' : 'unpaid';
  }
  plan.pendingAsync = session.payment_status === 'unpaid';
  session.status = 'complete';
  session.url = null;
  engine.events.emit('checkout.session.completed', session);
  return { session, redirectUrl: successRedirect(session), declined: false };
}

function requireCustomer(customer: Stripe.Customer | null): string {
  if (customer === null) throw new SandboxActionError('subscription checkout needs a customer');
  return customer.id;
}

/** Subscriptions always need a customer; payment mode creates one only with `customer_creation=always`. */
function ensureCustomer(
  engine: Engine,
  session: Stripe.Checkout.Session,
  email: string,
  name: string | null,
): Stripe.Customer | null {
  if (typeof session.customer === 'string') return engine.store.customer(session.customer);
  if (session.mode === 'payment' && session.customer_creation !== 'always') return null;
  const customer = buildCustomer({
    id: newId('customer'),
    email,
    name,
    phone: null,
    description: null,
    metadata: {},
    now: engine.clock.nowSeconds(),
  });
  engine.store.customers.set(customer.id, customer);
  engine.events.emit('customer.created', customer);
  session.customer = customer.id;
  return customer;
}

function paymentIntentFor(
  engine: Engine,
  session: Stripe.Checkout.Session,
  customer: Stripe.Customer | null,
  email: string,
): Stripe.PaymentIntent {
  if (typeof session.payment_intent === 'string') {
    const existing = engine.store.paymentIntent(session.payment_intent);
    if (customer !== null) existing.customer = customer.id;
    return existing;
  }
  const plan = engine.store.sessionPlan(session.id);
  const pi = createPaymentIntent(engine, {
    amount: session.amount_total ?? 0,
    currency: session.currency ?? 'usd',
    customer: customer?.id ?? null,
    description: plan.paymentIntentDescription,
    metadata: { ...plan.paymentIntentMetadata },
    receiptEmail: email,
    method: 'card',
  });
  session.payment_intent = pi.id;
  return pi;
}

/** A declined card: in payment mode the intent records the failure; the session stays open. */
function decline(engine: Engine, session: Stripe.Checkout.Session, email: string, name: string | null): void {
  if (session.mode !== 'payment') return;
  const customer = typeof session.customer === 'string' ? engine.store.customer(session.customer) : null;
  const pi = paymentIntentFor(engine, session, customer, email);
  chargePaymentIntent(engine, pi, 'failed', { email, name });
}

/** The delayed payment of a completed session settles; Stripe then sends the async_payment event. */
export function settleAsyncPayment(
  engine: Engine,
  sessionId: string,
  succeeded: boolean,
): Stripe.Checkout.Session {
  const session = engine.store.session(sessionId);
  const plan = engine.store.sessionPlan(session.id);
  if (session.status !== 'complete' || !plan.pendingAsync) {
    throw new SandboxActionError(`checkout session ${session.id} has no delayed payment pending`);
  }
  plan.pendingAsync = false;
  if (session.mode === 'payment') {
    settlePaymentIntent(engine, engine.store.paymentIntent(String(session.payment_intent)), succeeded);
  } else {
    const sub = engine.store.subscription(String(session.subscription));
    settleInvoice(engine, engine.store.invoice(String(session.invoice)), succeeded);
    const before = snapshot(sub);
    if (succeeded) {
      sub.status = 'active';
    } else {
      // The first payment never arrived: the subscription can no longer be completed.
      sub.status = 'incomplete_expired';
      sub.ended_at = engine.clock.nowSeconds();
    }
    emitSubscriptionUpdated(engine, sub, before);
  }
  if (succeeded) {
    session.payment_status = 'paid';
    engine.events.emit('checkout.session.async_payment_succeeded', session);
  } else {
    engine.events.emit('checkout.session.async_payment_failed', session);
  }
  return session;
}

export function expireSession(engine: Engine, session: Stripe.Checkout.Session): Stripe.Checkout.Session {
  if (session.status !== 'open')
    throw new SandboxActionError(`checkout session ${session.id} is ${session.status}`);
  session.status = 'expired';
  session.url = null;
  engine.events.emit('checkout.session.expired', session);
  return session;
}
