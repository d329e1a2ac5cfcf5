/**
 * The local Stripe's memory: every object by id, in creation order (Maps keep insertion order,
 * which the list endpoints reverse to show newest first), plus the few facts Stripe keeps
 * privately (what a Checkout Session will put on the subscription or payment it creates).
 */
import type Stripe from 'stripe';
import { noSuch } from './errors.js';

export interface SessionPlan {
  subscriptionMetadata: Record<string, string>;
  subscriptionDescription: string | null;
  trialPeriodDays: number | null;
  paymentIntentMetadata: Record<string, string>;
  paymentIntentDescription: string | null;
  /** Set when the buyer paid with a delayed method (bank debit) and the outcome is still unknown. */
  pendingAsync: boolean;
}

export interface SubscriptionPlan {
  /** The next renewal charge is declined (set by the simulator's failPayment). */
  failNextPayment: boolean;
  trialWillEndSent: boolean;
  /** Proration lines of plan changes made with `create_prorations`, billed with the next invoice. */
  pendingProrations: Stripe.InvoiceLineItem[];
}

export class StripeStore {
  readonly products = new Map<string, Stripe.Product>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly customers = new Map<string, Stripe.Customer>();
  readonly sessions = new Map<string, Stripe.Checkout.Session>();
  readonly sessionLineItems = new Map<string, Stripe.LineItem[]>();
  readonly sessionPlans = new Map<string, SessionPlan>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly subscriptionPlans = new Map<string, SubscriptionPlan>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  readonly invoicePayments = new Map<string, Stripe.InvoicePayment>();
  readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  readonly charges = new Map<string, Stripe.Charge>();
  readonly refunds = new Map<string, Stripe.Refund>();
  readonly disputes = new Map<string, Stripe.Dispute>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  private invoiceCounter = 0;

  nextInvoiceNumber(): string {
    this.invoiceCounter += 1;
    return `LOCAL-${String(this.invoiceCounter).padStart(4, '0')}`;
  }

  product(id: string, param?: string): Stripe.Product {
    return pick(this.products, id, 'product', param);
  }
  price(id: string, param?: string): Stripe.Price {
    return pick(this.prices, id, 'price', param);
  }
  customer(id: string, param?: string): Stripe.Customer {
    return pick(this.customers, id, 'customer', param);
  }
  session(id: string, param?: string): Stripe.Checkout.Session {
    return pick(this.sessions, id, 'checkout.session', param);
  }
  subscription(id: string, param?: string): Stripe.Subscription {
    return pick(this.subscriptions, id, 'subscription', param);
  }
  invoice(id: string, param?: string): Stripe.Invoice {
    return pick(this.invoices, id, 'invoice', param);
  }
  invoicePayment(id: string, param?: string): Stripe.InvoicePayment {
    return pick(this.invoicePayments, id, 'invoice_payment', param);
  }
  paymentIntent(id: string, param?: string): Stripe.PaymentIntent {
    return pick(this.paymentIntents, id, 'payment_intent', param);
  }
  charge(id: string, param?: string): Stripe.Charge {
    return pick(this.charges, id, 'charge', param);
  }
  refund(id: string, param?: string): Stripe.Refund {
    return pick(this.refunds, id, 'refund', param);
  }
  dispute(id: string, param?: string): Stripe.Dispute {
    return pick(this.disputes, id, 'dispute', param);
  }

  sessionPlan(id: string): SessionPlan {
    const plan = this.sessionPlans.get(id);
    if (plan === undefined) throw new Error(`no plan for session ${id}`);
    return plan;
  }

  subscriptionPlan(id: string): SubscriptionPlan {
    let plan = this.subscriptionPlans.get(id);
    if (plan === undefined) {
      plan = { failNextPayment: false, trialWillEndSent: false, pendingProrations: [] };
      this.subscriptionPlans.set(id, plan);
    }
    return plan;
  }

  /** Any stored object by its id, for `expand[]`. */
  find(id: string): object | undefined {
    const maps: ReadonlyArray<Map<string, object>> = [
      this.customers,
      this.subscriptions,
      this.invoices,
      this.paymentIntents,
      this.charges,
      this.prices,
      this.products,
      this.sessions,
      this.refunds,
      this.disputes,
      this.invoicePayments,
    ];
    for (const map of maps) {
      const found = map.get(id);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** Looks an object up; absent ids are Stripe's 404 (in the path) or 400 (when named by `param`). */
function pick<T>(map: Map<string, T>, id: string, resource: string, param?: string): T {
  const found = map.get(id);
  if (found === undefined) {
    throw param === undefined ? noSuch(resource, id) : noSuch(resource, id, param, 400);
  }
  return found;
}
