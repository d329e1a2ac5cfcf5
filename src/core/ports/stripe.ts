/**
 * Everything Rolegate asks of Stripe. The adapter (src/adapters/stripe) implements it on the
 * `stripe` package with deterministic idempotency keys. Objects come back as small snapshots in
 * Rolegate's terms (times in epoch ms), so the lifecycle code does not depend on Stripe's shapes.
 */

/** A verified webhook event: what the inbox stores and the processor dispatches on. */
export interface StripeEventEnvelope {
  id: string;
  type: string;
  /** Epoch seconds, as Stripe sends it. */
  created: number;
  /** `data.object.id` of the event (session, subscription, invoice, charge, dispute…). */
  objectId: string | null;
}

export interface StripeProductInput {
  name: string;
  metadata: Record<string, string>;
}

export interface StripePriceInput {
  productId: string;
  amount: number;
  currency: string;
  /** Null for one-time prices. */
  recurring: { interval: 'day' | 'week' | 'month' | 'year'; intervalCount: number } | null;
  metadata: Record<string, string>;
}

export interface StripePriceSnapshot {
  id: string;
  productId: string;
  active: boolean;
  amount: number | null;
  currency: string;
  recurring: { interval: string; intervalCount: number } | null;
}

export interface CheckoutSessionInput {
  mode: 'payment' | 'subscription';
  priceId: string;
  /**
   * The buyer's Stripe customer, or, for a buyer who has none yet, the email Checkout fills in and
   * the instruction to create the customer when they pay (`customer_creation: always` in payment
   * mode; subscription mode always creates one). No Stripe customer exists for a buyer who never pays.
   */
  customer: { stripeCustomerId: string } | { email: string | null };
  /** Rolegate's grant id: maps the session back to the grant. */
  clientReferenceId: string;
  /** Copied onto the session, and onto the subscription or payment intent. */
  metadata: Record<string, string>;
  trialDays: number;
  successUrl: string;
  cancelUrl: string;
}

export interface CheckoutSessionSnapshot {
  id: string;
  /** `open` | `complete` | `expired` */
  status: string | null;
  /** `paid` | `unpaid` | `no_payment_required` */
  paymentStatus: string;
  mode: string;
  clientReferenceId: string | null;
  customerId: string | null;
  subscriptionId: string | null;
  paymentIntentId: string | null;
  metadata: Record<string, string>;
  url: string | null;
}

export interface SubscriptionSnapshot {
  id: string;
  status: string;
  customerId: string;
  metadata: Record<string, string>;
  /** Price ids of the subscription's items (a plan change swaps them). */
  priceIds: string[];
  cancelAtPeriodEnd: boolean;
  cancelAt: number | null;
  /** min over items of `current_period_end`, epoch ms. */
  currentPeriodEnd: number | null;
  trialEnd: number | null;
  /** When a canceled subscription ended, epoch ms. */
  endedAt: number | null;
  /** A plan change waits for its payment (`pending_update`): `priceIds` are still the old ones. */
  pendingUpdate: boolean;
}

export interface InvoiceSnapshot {
  id: string;
  status: string | null;
  subscriptionId: string | null;
  /** Snapshot of the subscription's metadata at finalization. */
  subscriptionMetadata: Record<string, string>;
  /** Payment intents that paid (part of) this invoice. */
  paymentIntentIds: string[];
}

/** An invoice as the buyer's receipt: Stripe's hosted page shows and prints it. */
export interface ReceiptSnapshot {
  id: string;
  number: string | null;
  /** `open` | `paid` | `void` | `uncollectible` */
  status: string | null;
  amountPaid: number;
  amountDue: number;
  currency: string;
  /** Epoch ms. */
  created: number;
  subscriptionId: string | null;
  hostedUrl: string | null;
}

export interface ChargeSnapshot {
  id: string;
  paymentIntentId: string | null;
  amount: number;
  amountRefunded: number;
  /** True only for a full refund. */
  refunded: boolean;
}

export interface DisputeSnapshot {
  id: string;
  status: string;
  paymentIntentId: string | null;
  chargeId: string | null;
}

export interface PaymentIntentSnapshot {
  id: string;
  status: string;
  metadata: Record<string, string>;
}

export interface UndeliveredEvent extends StripeEventEnvelope {
  /** The event as JSON, stored in the inbox like a delivered one. */
  payload: string;
}

/** A webhook endpoint registered at Stripe. */
export interface StripeWebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  /** `enabled` | `disabled` */
  status: string;
}

export interface StripePort {
  /**
   * Verifies a webhook's signature over the raw body with the configured secret or any of
   * `otherSecrets` (the endpoint Rolegate created itself); throws when missing, bad or stale.
   */
  verifyWebhook(
    rawBody: Buffer,
    signatureHeader: string | undefined,
    otherSecrets?: readonly string[],
  ): StripeEventEnvelope;
  /** Registers a webhook endpoint; its signing secret is in this answer only. */
  createWebhookEndpoint(
    input: { url: string; events: readonly string[]; description: string },
    idempotencyKey: string,
  ): Promise<StripeWebhookEndpoint & { secret: string }>;
  /** The endpoint, or null when Stripe has no such endpoint any more. */
  retrieveWebhookEndpoint(id: string): Promise<StripeWebhookEndpoint | null>;

  createProduct(input: StripeProductInput, idempotencyKey: string): Promise<string>;
  createPrice(input: StripePriceInput, idempotencyKey: string): Promise<string>;
  retrievePrice(id: string): Promise<StripePriceSnapshot>;
  createCustomer(
    input: { email: string | null; metadata: Record<string, string> },
    idempotencyKey: string,
  ): Promise<string>;

  createCheckoutSession(
    input: CheckoutSessionInput,
    idempotencyKey: string,
  ): Promise<{ id: string; url: string }>;
  retrieveCheckoutSession(id: string): Promise<CheckoutSessionSnapshot>;
  /**
   * Expires an open session so it can no longer be paid, and returns the session's status after:
   * `expired`, or `complete` when the buyer paid (or started a delayed payment) before it could be expired.
   */
  expireCheckoutSession(id: string, idempotencyKey?: string): Promise<'expired' | 'complete'>;
  retrieveSubscription(id: string): Promise<SubscriptionSnapshot>;
  /**
   * Cancels a subscription at once, with `prorate=false` and `invoice_now=false`: no credit for the
   * unused time and no final invoice, so nothing is refunded (a refund is a separate decision).
   */
  cancelSubscription(id: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /** Sets `cancel_at_period_end`: the buyer is not charged again and keeps the period already paid. */
  cancelSubscriptionAtPeriodEnd(id: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /** Clears `cancel_at_period_end`: a subscription set to end renews again (the buyer resumed it). */
  resumeSubscription(id: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /**
   * Moves the subscription's (first) item to another recurring price with prorations invoiced now
   * (`always_invoice`) and `payment_behavior=pending_if_incomplete`: the items change only once that
   * invoice is paid, so access never changes before payment (decision 0022).
   */
  changeSubscriptionPrice(id: string, priceId: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /** The newest invoices of a Stripe customer (drafts left out): the buyer's receipts. */
  listInvoices(customerId: string, limit: number): Promise<ReceiptSnapshot[]>;
  retrieveInvoice(id: string): Promise<InvoiceSnapshot>;
  retrieveCharge(id: string): Promise<ChargeSnapshot>;
  retrieveDispute(id: string): Promise<DisputeSnapshot>;
  /** Every dispute of a payment intent (a grant paid by several charges can have several). */
  listDisputes(paymentIntentId: string): Promise<DisputeSnapshot[]>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentSnapshot>;
  /** The subscription an invoice payment by this payment intent belongs to, if any. */
  subscriptionOfPaymentIntent(paymentIntentId: string): Promise<string | null>;

  /** A Billing Portal session URL for a Stripe customer. */
  createPortalSession(customerId: string, returnUrl: string): Promise<string>;

  /** Events Stripe has not managed to deliver (pending retries or given up), newest first. */
  listUndeliveredEvents(limit: number): Promise<UndeliveredEvent[]>;
}
