/**
 * Subscriptions, their items, invoices, invoice lines and invoice payments, in the pinned API
 * shapes: periods live on items; invoices reach their subscription through `parent`.
 */
import Stripe from 'stripe';
import { planFromPrice } from './catalog.js';

export interface SubscriptionInput {
  id: string;
  customer: string;
  currency: string;
  status: Stripe.Subscription.Status;
  metadata: Record<string, string>;
  description: string | null;
  items: Stripe.SubscriptionItem[];
  trialStart: number | null;
  trialEnd: number | null;
  defaultPaymentMethod: string | null;
  latestInvoice: string | null;
  now: number;
}

export function buildSubscription(input: SubscriptionInput): Stripe.Subscription {
  const anchor = input.items[0]?.current_period_end ?? input.now;
  return {
    id: input.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.trialEnd ?? anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: input.now },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: input.now,
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: input.description,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: input.items,
      has_more: false,
      url: `/v1/subscription_items?subscription=${input.id}`,
    },
    latest_invoice: input.latestInvoice,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: input.now,
    status: input.status,
    test_clock: null,
    transfer_data: null,
    trial_end: input.trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: input.trialStart,
  } satisfies Stripe.Subscription;
}

export interface SubscriptionItemInput {
  id: string;
  subscription: string;
  price: Stripe.Price;
  quantity: number;
  periodStart: number;
  periodEnd: number;
  now: number;
}

export function buildSubscriptionItem(input: SubscriptionItemInput): Stripe.SubscriptionItem {
  return {
    id: input.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: input.now,
    current_period_end: input.periodEnd,
    current_period_start: input.periodStart,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planFromPrice(input.price),
    price: input.price,
    quantity: input.quantity,
    subscription: input.subscription,
    tax_rates: [],
  } satisfies Stripe.SubscriptionItem;
}

export interface InvoiceLineInput {
  id: string;
  invoice: string;
  price: Stripe.Price;
  productName: string;
  quantity: number;
  periodStart: number;
  periodEnd: number;
  subscription: string | null;
  subscriptionItem: string | null;
}

export function buildInvoiceLine(input: InvoiceLineInput): Stripe.InvoiceLineItem {
  const amount = (input.price.unit_amount ?? 0) * input.quantity;
  const product = typeof input.price.product === 'string' ? input.price.product : input.price.product.id;
  return {
    id: input.id,
    object: 'line_item',
    amount,
    currency: input.price.currency,
    description: `${input.quantity} × ${input.productName}`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: input.invoice,
    livemode: false,
    metadata: {},
    parent:
      input.subscriptionItem === null
        ? null
        : {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: input.subscription,
              subscription_item: input.subscriptionItem,
            },
            type: 'subscription_item_details',
          },
    period: { end: input.periodEnd, start: input.periodStart },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: input.price.id, product },
      type: 'price_details',
      unit_amount_decimal: Stripe.Decimal.from(String(input.price.unit_amount ?? 0)),
    },
    quantity: input.quantity,
    quantity_decimal: Stripe.Decimal.from(String(input.quantity)),
    subscription: input.subscription,
    subtotal: amount,
    taxes: [],
  } satisfies Stripe.InvoiceLineItem;
}

export interface InvoiceInput {
  id: string;
  customer: string;
  customerEmail: string | null;
  customerName: string | null;
  currency: string;
  lines: Stripe.InvoiceLineItem[];
  billingReason: Stripe.Invoice.BillingReason;
  subscription: { id: string; metadata: Record<string, string> } | null;
  periodStart: number;
  periodEnd: number;
  number: string;
  hostedUrl: string;
  now: number;
}

/** A finalized, open invoice; paying it is a separate step. */
export function buildInvoice(input: InvoiceInput): Stripe.Invoice {
  const total = input.lines.reduce((sum, line) => sum + line.amount, 0);
  return {
    id: input.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Rolegate Sandbox',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
    created: input.now,
    currency: input.currency,
    custom_fields: null,
    customer: input.customer,
    customer_account: null,
    customer_address: null,
    customer_email: input.customerEmail,
    customer_name: input.customerName,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: input.now,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: input.hostedUrl,
    invoice_pdf: `${input.hostedUrl}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: input.lines, has_more: false, url: `/v1/invoices/${input.id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: input.number,
    on_behalf_of: null,
    parent:
      input.subscription === null
        ? null
        : {
            quote_details: null,
            subscription_details: {
              metadata: { ...input.subscription.metadata },
              subscription: input.subscription.id,
            },
            type: 'subscription_details',
          },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd,
    period_start: input.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'open',
    status_transitions: {
      finalized_at: input.now,
      marked_uncollectible_at: null,
      paid_at: null,
      voided_at: null,
    },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: input.now,
  } satisfies Stripe.Invoice;
}

export interface InvoicePaymentInput {
  id: string;
  invoice: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  status: 'open' | 'paid' | 'canceled';
  now: number;
}

export function buildInvoicePayment(input: InvoicePaymentInput): Stripe.InvoicePayment {
  return {
    id: input.id,
    object: 'invoice_payment',
    amount_paid: input.status === 'paid' ? input.amount : null,
    amount_requested: input.amount,
    created: input.now,
    currency: input.currency,
    invoice: input.invoice,
    is_default: true,
    livemode: false,
    payment: { payment_intent: input.paymentIntent, type: 'payment_intent' },
    status: input.status,
    status_transitions: { canceled_at: null, paid_at: input.status === 'paid' ? input.now : null },
  } satisfies Stripe.InvoicePayment;
}
