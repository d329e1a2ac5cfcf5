import Stripe from 'stripe';
import { call } from './errors.js';
import type {
  ChargeSnapshot,
  CheckoutSessionInput,
  CheckoutSessionSnapshot,
  DisputeSnapshot,
  InvoiceSnapshot,
  PaymentIntentSnapshot,
  ReceiptSnapshot,
  StripeEventEnvelope,
  StripePort,
  StripePriceInput,
  StripePriceSnapshot,
  StripeProductInput,
  StripeWebhookEndpoint,
  SubscriptionSnapshot,
  UndeliveredEvent,
} from '../../core/ports/stripe.js';
import { createWebhookEndpoint, retrieveWebhookEndpoint } from './webhook-endpoints.js';
import { changePrice } from './plan-change.js';
import { chargeSnapshot, disputeSnapshot, idOf, receiptSnapshot, subscriptionSnapshot } from './snapshots.js';

/** Stripe's default signature tolerance; the design's "5-minute tolerance". */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface StripeClientOptions {
  secretKey: string;
  /** STRIPE_WEBHOOK_SECRET; none when Rolegate creates its own endpoint (the secret is then stored). */
  webhookSecret?: string | undefined;
  /** `STRIPE_API_URL`: another host (a REST proxy or the local Stripe). Default: api.stripe.com. */
  apiUrl?: string | undefined;
  /** Request timeout, ms. Default 20 000. */
  timeoutMs?: number;
}

/** Builds the SDK client on the package's pinned API version, pointed at `apiUrl` when set. */
export function createStripeSdk(options: Pick<StripeClientOptions, 'secretKey' | 'apiUrl' | 'timeoutMs'>) {
  const config: Stripe.StripeConfig = {
    maxNetworkRetries: 2,
    timeout: options.timeoutMs ?? 20_000,
    appInfo: { name: 'Rolegate' },
  };
  if (options.apiUrl) {
    const url = new URL(options.apiUrl);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    config.host = url.hostname;
    config.protocol = protocol;
    config.port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
  }
  return new Stripe(options.secretKey, config);
}

/** The StripePort on the `stripe` package. Every create carries the caller's idempotency key. */
export class StripeClient implements StripePort {
  readonly sdk: Stripe;
  private readonly webhookSecret: string | undefined;

  constructor(options: StripeClientOptions) {
    this.sdk = createStripeSdk(options);
    this.webhookSecret = options.webhookSecret;
  }

  verifyWebhook(
    rawBody: Buffer,
    signatureHeader: string | undefined,
    otherSecrets: readonly string[] = [],
  ): StripeEventEnvelope {
    if (!signatureHeader) throw new Error('the Stripe-Signature header is missing');
    const secrets = [this.webhookSecret, ...otherSecrets].filter((s): s is string => Boolean(s));
    if (secrets.length === 0)
      throw new Error('no webhook signing secret: set STRIPE_WEBHOOK_SECRET or create the endpoint in Setup');
    // constructEvent checks the HMAC over the exact bytes and the timestamp tolerance.
    const event = this.constructWithAny(rawBody, signatureHeader, secrets);
    // The SDK only bounds the signature's age; a timestamp from the future (a replay prepared in
    // advance, or a sender's clock far off) is refused the same way.
    const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signatureHeader)?.[1]);
    if (!Number.isFinite(signedAt) || signedAt * 1000 > Date.now() + WEBHOOK_TOLERANCE_SECONDS * 1000)
      throw new Error('Timestamp outside the tolerance zone (in the future)');
    const object = event.data.object as { id?: unknown };
    return {
      id: event.id,
      type: event.type,
      created: event.created,
      objectId: typeof object.id === 'string' ? object.id : null,
    };
  }

  createProduct(input: StripeProductInput, idempotencyKey: string): Promise<string> {
    return call(async () => {
      const p = await this.sdk.products.create(
        { name: input.name, metadata: input.metadata },
        { idempotencyKey },
      );
      return p.id;
    });
  }

  createPrice(input: StripePriceInput, idempotencyKey: string): Promise<string> {
    return call(async () => {
      const params: Stripe.PriceCreateParams = {
        product: input.productId,
        unit_amount: input.amount,
        currency: input.currency.toLowerCase(),
        metadata: input.metadata,
      };
      if (input.recurring)
        params.recurring = {
          interval: input.recurring.interval,
          interval_count: input.recurring.intervalCount,
        };
      const p = await this.sdk.prices.create(params, { idempotencyKey });
      return p.id;
    });
  }

  retrievePrice(id: string): Promise<StripePriceSnapshot> {
    return call(async () => {
      const p = await this.sdk.prices.retrieve(id);
      return {
        id: p.id,
        productId: idOf(p.product) ?? '',
        active: p.active,
        amount: p.unit_amount,
        currency: p.currency,
        recurring: p.recurring
          ? { interval: p.recurring.interval, intervalCount: p.recurring.interval_count }
          : null,
      };
    });
  }

  createCustomer(
    input: { email: string | null; metadata: Record<string, string> },
    idempotencyKey: string,
  ): Promise<string> {
    return call(async () => {
      const c = await this.sdk.customers.create(
        { ...(input.email ? { email: input.email } : {}), metadata: input.metadata },
        { idempotencyKey },
      );
      return c.id;
    });
  }

  createCheckoutSession(
    input: CheckoutSessionInput,
    idempotencyKey: string,
  ): Promise<{ id: string; url: string }> {
    return call(async () => {
      const params: Stripe.Checkout.SessionCreateParams = {
        mode: input.mode,
        line_items: [{ price: input.priceId, quantity: 1 }],
        client_reference_id: input.clientReferenceId,
        metadata: input.metadata,
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
      };
      if ('stripeCustomerId' in input.customer) params.customer = input.customer.stripeCustomerId;
      else {
        if (input.customer.email) params.customer_email = input.customer.email;
        if (input.mode === 'payment') params.customer_creation = 'always';
      }
      if (input.mode === 'subscription') {
        params.subscription_data = {
          metadata: input.metadata,
          ...(input.trialDays > 0 ? { trial_period_days: input.trialDays } : {}),
        };
      } else {
        params.payment_intent_data = { metadata: input.metadata };
      }
      const s = await this.sdk.checkout.sessions.create(params, { idempotencyKey });
      if (!s.url) throw new Error(`checkout session ${s.id} has no url`);
      return { id: s.id, url: s.url };
    });
  }

  retrieveCheckoutSession(id: string): Promise<CheckoutSessionSnapshot> {
    return call(async () => {
      const s = await this.sdk.checkout.sessions.retrieve(id);
      return {
        id: s.id,
        status: s.status,
        paymentStatus: s.payment_status,
        mode: s.mode,
        clientReferenceId: s.client_reference_id,
        customerId: idOf(s.customer),
        subscriptionId: idOf(s.subscription),
        paymentIntentId: idOf(s.payment_intent),
        metadata: { ...s.metadata },
        url: s.url,
      };
    });
  }

  expireCheckoutSession(id: string, idempotencyKey?: string): Promise<'expired' | 'complete'> {
    return call(async () => {
      try {
        const s = await this.sdk.checkout.sessions.expire(id, {}, idempotencyKey ? { idempotencyKey } : {});
        return s.status === 'complete' ? 'complete' : 'expired';
      } catch (err) {
        // Only an open session can be expired: a 400 means it is already complete or expired.
        if (!(err instanceof Stripe.errors.StripeInvalidRequestError) || err.statusCode !== 400) throw err;
        const s = await this.sdk.checkout.sessions.retrieve(id);
        if (s.status === 'open') throw err;
        return s.status === 'complete' ? 'complete' : 'expired';
      }
    });
  }

  retrieveSubscription(id: string): Promise<SubscriptionSnapshot> {
    return call(async () => subscriptionSnapshot(await this.sdk.subscriptions.retrieve(id)));
  }

  cancelSubscription(id: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return call(async () =>
      subscriptionSnapshot(
        await this.sdk.subscriptions.cancel(id, { prorate: false, invoice_now: false }, { idempotencyKey }),
      ),
    );
  }

  cancelSubscriptionAtPeriodEnd(id: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return call(async () =>
      subscriptionSnapshot(
        await this.sdk.subscriptions.update(id, { cancel_at_period_end: true }, { idempotencyKey }),
      ),
    );
  }

  resumeSubscription(id: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return call(async () =>
      subscriptionSnapshot(
        await this.sdk.subscriptions.update(id, { cancel_at_period_end: false }, { idempotencyKey }),
      ),
    );
  }

  changeSubscriptionPrice(
    id: string,
    priceId: string,
    idempotencyKey: string,
  ): Promise<SubscriptionSnapshot> {
    return call(async () => subscriptionSnapshot(await changePrice(this.sdk, id, priceId, idempotencyKey)));
  }

  listInvoices(customerId: string, limit: number): Promise<ReceiptSnapshot[]> {
    return call(async () => {
      const page = await this.sdk.invoices.list({ customer: customerId, limit: Math.min(limit, 100) });
      return page.data.filter((inv) => inv.status !== 'draft').map(receiptSnapshot);
    });
  }

  retrieveInvoice(id: string): Promise<InvoiceSnapshot> {
    return call(async () => {
      const inv = await this.sdk.invoices.retrieve(id);
      const details = inv.parent?.subscription_details ?? null;
      const payments = await this.sdk.invoicePayments.list({ invoice: id, limit: 100 });
      const paymentIntentIds = payments.data
        .filter((p) => p.status === 'paid')
        .map((p) => idOf(p.payment.payment_intent))
        .filter((v): v is string => v !== null);
      return {
        id: inv.id,
        status: inv.status,
        subscriptionId: idOf(details?.subscription),
        subscriptionMetadata: { ...(details?.metadata ?? {}) },
        paymentIntentIds,
      };
    });
  }

  retrieveCharge(id: string): Promise<ChargeSnapshot> {
    return call(async () => {
      return chargeSnapshot(await this.sdk.charges.retrieve(id));
    });
  }

  retrieveDispute(id: string): Promise<DisputeSnapshot> {
    return call(async () => disputeSnapshot(await this.sdk.disputes.retrieve(id)));
  }

  listDisputes(paymentIntentId: string): Promise<DisputeSnapshot[]> {
    return call(async () => {
      const page = await this.sdk.disputes.list({ payment_intent: paymentIntentId, limit: 100 });
      return page.data.map(disputeSnapshot);
    });
  }

  retrievePaymentIntent(id: string): Promise<PaymentIntentSnapshot> {
    return call(async () => {
      const pi = await this.sdk.paymentIntents.retrieve(id);
      return { id: pi.id, status: pi.status, metadata: { ...pi.metadata } };
    });
  }

  subscriptionOfPaymentIntent(paymentIntentId: string): Promise<string | null> {
    return call(async () => {
      const list = await this.sdk.invoicePayments.list({
        payment: { type: 'payment_intent', payment_intent: paymentIntentId },
        limit: 1,
      });
      const invoiceId = idOf(list.data[0]?.invoice);
      if (!invoiceId) return null;
      const inv = await this.sdk.invoices.retrieve(invoiceId);
      return idOf(inv.parent?.subscription_details?.subscription);
    });
  }

  private constructWithAny(rawBody: Buffer, header: string, secrets: string[]): Stripe.Event {
    let first: unknown;
    for (const secret of secrets) {
      try {
        return this.sdk.webhooks.constructEvent(rawBody, header, secret, WEBHOOK_TOLERANCE_SECONDS);
      } catch (err) {
        first ??= err;
      }
    }
    throw first;
  }

  createWebhookEndpoint(
    input: { url: string; events: readonly string[]; description: string },
    idempotencyKey: string,
  ): Promise<StripeWebhookEndpoint & { secret: string }> {
    return createWebhookEndpoint(this.sdk, input, idempotencyKey);
  }

  retrieveWebhookEndpoint(id: string): Promise<StripeWebhookEndpoint | null> {
    return retrieveWebhookEndpoint(this.sdk, id);
  }

  createPortalSession(customerId: string, returnUrl: string): Promise<string> {
    return call(async () => {
      const s = await this.sdk.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl });
      return s.url;
    });
  }

  listUndeliveredEvents(limit: number): Promise<UndeliveredEvent[]> {
    return call(async () => {
      const page = await this.sdk.events.list({ delivery_success: false, limit: Math.min(limit, 100) });
      return page.data.map((e) => {
        const object = e.data.object as { id?: unknown };
        return {
          id: e.id,
          type: e.type,
          created: e.created,
          objectId: typeof object.id === 'string' ? object.id : null,
          payload: JSON.stringify(e),
        };
      });
    });
  }
}
