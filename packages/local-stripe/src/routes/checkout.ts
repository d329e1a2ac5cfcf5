/** Checkout Sessions: create (with Stripe's validation), retrieve, list, expire, line items. */
import type Stripe from 'stripe';
import { expireSession } from '../engine/checkout.js';
import type { Engine } from '../engine/context.js';
import { invalidParam, invalidRequest, missingParam } from '../errors.js';
import { newId } from '../ids.js';
import { createdFilter, LIST_PARAMS, newestFirst, paginate } from '../list.js';
import { buildLineItem, buildSession } from '../objects/checkout.js';
import { applyMetadata, type Params } from '../params.js';
import type { Router } from '../router.js';
import { createPrice } from './catalog.js';

const MINUTE = 60;
// Accepted and ignored: they change how Stripe's page looks, not what it records.
const COSMETIC = [
  'allow_promotion_codes',
  'billing_address_collection',
  'automatic_tax',
  'consent_collection',
  'custom_fields',
  'custom_text',
  'customer_update',
  'discounts',
  'invoice_creation',
  'locale',
  'payment_method_collection',
  'payment_method_configuration',
  'payment_method_options',
  'payment_method_types',
  'phone_number_collection',
  'saved_payment_method_options',
  'submit_type',
  'tax_id_collection',
  'ui_mode',
  'adaptive_pricing',
  'after_expiration',
  'branding_settings',
  'currency',
  'excluded_payment_method_types',
  'name_collection',
  'wallet_options',
];
const CREATE_PARAMS = [
  'mode',
  'line_items',
  'client_reference_id',
  'metadata',
  'customer',
  'customer_email',
  'customer_creation',
  'success_url',
  'cancel_url',
  'expires_at',
  'subscription_data',
  'payment_intent_data',
  'expand',
  ...COSMETIC,
];

function url(form: Params, key: string): string | null {
  const value = form.string(key);
  if (value === undefined) return null;
  // `{CHECKOUT_SESSION_ID}` is a literal template, valid inside an URL.
  if (!URL.canParse(value.split('{CHECKOUT_SESSION_ID}').join('x')))
    throw invalidParam(key, 'Not a valid URL', 'url_invalid');
  return value;
}

interface ParsedItem {
  price: Stripe.Price;
  quantity: number;
}

function lineItems(engine: Engine, form: Params): ParsedItem[] {
  const items = form.objects('line_items');
  if (items === undefined || items.length === 0) throw missingParam('line_items');
  return items.map((item) => {
    item.allowOnly([
      'price',
      'price_data',
      'quantity',
      'adjustable_quantity',
      'dynamic_tax_rates',
      'tax_rates',
    ]);
    const quantity = item.integer('quantity', { min: 1, max: 999_999 }) ?? 1;
    const priceId = item.nonEmptyString('price');
    const priceData = item.object('price_data');
    if (priceId !== undefined) {
      const price = engine.store.price(priceId, item.name('price'));
      if (!price.active) {
        throw invalidParam(
          item.name('price'),
          'The price specified is inactive. This field only accepts active prices.',
        );
      }
      return { price, quantity };
    }
    if (priceData === undefined) throw missingParam(item.name('price'));
    priceData.allowOnly([
      'currency',
      'unit_amount',
      'unit_amount_decimal',
      'product',
      'product_data',
      'recurring',
      'tax_behavior',
    ]);
    return { price: createPrice(engine, priceData, true), quantity };
  });
}

function validateModeAndItems(mode: 'payment' | 'subscription', items: ParsedItem[]): string {
  const currency = items[0]?.price.currency ?? 'usd';
  if (items.some((i) => i.price.currency !== currency)) {
    throw invalidParam('line_items', 'All prices on a Checkout Session must be in the same currency.');
  }
  const recurring = items.filter((i) => i.price.recurring !== null);
  if (mode === 'payment' && recurring.length > 0) {
    throw invalidParam(
      'line_items',
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
    );
  }
  if (mode === 'subscription') {
    if (recurring.length === 0) {
      throw invalidParam(
        'line_items',
        'You must provide at least one recurring price in `subscription` mode when using prices.',
      );
    }
    const first = recurring[0]?.price.recurring;
    if (
      recurring.some(
        (i) =>
          i.price.recurring?.interval !== first?.interval ||
          i.price.recurring?.interval_count !== first?.interval_count,
      )
    ) {
      throw invalidParam(
        'line_items',
        'All recurring prices on a subscription must have the same billing interval.',
      );
    }
  }
  return currency;
}

export function createSession(engine: Engine, form: Params): Stripe.Checkout.Session {
  form.allowOnly(CREATE_PARAMS);
  const mode = form.oneOf('mode', ['payment', 'subscription', 'setup']) ?? 'payment';
  if (mode === 'setup') throw invalidParam('mode', 'The local Stripe does not support `setup` mode.');
  const ui = form.oneOf('ui_mode', ['hosted', 'embedded', 'custom', 'elements']);
  if (ui !== undefined && ui !== 'hosted')
    throw invalidParam('ui_mode', 'The local Stripe serves hosted Checkout only.');
  const now = engine.clock.nowSeconds();
  const customerId = form.nonEmptyString('customer');
  const customerEmail = form.nonEmptyString('customer_email');
  if (customerId !== undefined && customerEmail !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_email.',
      undefined,
      'customer_email',
    );
  }
  if (customerId !== undefined) engine.store.customer(customerId, 'customer');
  if (customerEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(customerEmail)) {
    throw invalidParam('customer_email', `Invalid email address: ${customerEmail}`, 'email_invalid');
  }
  const customerCreation = form.oneOf('customer_creation', ['always', 'if_required']) ?? null;
  if (customerCreation !== null && mode !== 'payment') {
    throw invalidParam('customer_creation', '`customer_creation` can only be used in `payment` mode.');
  }
  const clientReferenceId = form.string('client_reference_id') ?? null;
  if (clientReferenceId !== null && clientReferenceId.length > 200) {
    throw invalidParam('client_reference_id', 'client_reference_id must be at most 200 characters.');
  }
  const expiresAt = form.integer('expires_at') ?? now + 24 * 60 * MINUTE;
  if (expiresAt < now + 30 * MINUTE || expiresAt > now + 24 * 60 * MINUTE) {
    throw invalidParam(
      'expires_at',
      'The `expires_at` timestamp must be between 30 minutes and 24 hours after the Checkout Session is created.',
    );
  }
  const subscriptionData = form.object('subscription_data');
  if (subscriptionData !== undefined && mode !== 'subscription') {
    throw invalidParam('subscription_data', `You can not pass \`subscription_data\` in \`${mode}\` mode.`);
  }
  subscriptionData?.allowOnly([
    'metadata',
    'trial_period_days',
    'description',
    'trial_settings',
    'billing_cycle_anchor',
    'default_tax_rates',
    'proration_behavior',
    'application_fee_percent',
    'on_behalf_of',
    'transfer_data',
    'invoice_settings',
    'billing_mode',
  ]);
  const paymentIntentData = form.object('payment_intent_data');
  if (paymentIntentData !== undefined && mode !== 'payment') {
    throw invalidParam(
      'payment_intent_data',
      `You can not pass \`payment_intent_data\` in \`${mode}\` mode.`,
    );
  }
  paymentIntentData?.allowOnly([
    'metadata',
    'description',
    'receipt_email',
    'statement_descriptor',
    'statement_descriptor_suffix',
    'setup_future_usage',
    'capture_method',
    'shipping',
    'application_fee_amount',
    'on_behalf_of',
    'transfer_data',
    'transfer_group',
  ]);
  if (paymentIntentData?.oneOf('capture_method', ['automatic', 'automatic_async', 'manual']) === 'manual') {
    throw invalidParam(
      'payment_intent_data[capture_method]',
      'The local Stripe captures payments automatically only.',
    );
  }
  const items = lineItems(engine, form);
  const currency = validateModeAndItems(mode, items);
  const total = items.reduce((sum, i) => sum + (i.price.unit_amount ?? 0) * i.quantity, 0);
  const id = newId('session');
  const session = buildSession({
    id,
    mode,
    url: `${engine.baseUrl()}/checkout/${id}`,
    successUrl: url(form, 'success_url'),
    cancelUrl: url(form, 'cancel_url'),
    clientReferenceId,
    customer: customerId ?? null,
    customerEmail: customerEmail ?? null,
    customerCreation: mode === 'payment' ? (customerCreation ?? 'if_required') : customerCreation,
    metadata: applyMetadata({}, form.metadata()),
    currency,
    amountSubtotal: total,
    amountTotal: total,
    expiresAt,
    locale: form.string('locale') ?? null,
    now,
  });
  engine.store.sessions.set(id, session);
  engine.store.sessionLineItems.set(
    id,
    items.map(({ price, quantity }) =>
      buildLineItem({
        id: newId('lineItem'),
        price,
        quantity,
        productName: engine.store.products.get(String(price.product))?.name ?? '',
      }),
    ),
  );
  engine.store.sessionPlans.set(id, {
    subscriptionMetadata: applyMetadata({}, subscriptionData?.metadata()),
    subscriptionDescription: subscriptionData?.string('description') ?? null,
    trialPeriodDays: subscriptionData?.integer('trial_period_days', { min: 1, max: 730 }) ?? null,
    paymentIntentMetadata: applyMetadata({}, paymentIntentData?.metadata()),
    paymentIntentDescription: paymentIntentData?.string('description') ?? null,
    pendingAsync: false,
  });
  return session;
}

export function registerCheckoutRoutes(router: Router): void {
  router.add('POST', '/v1/checkout/sessions', ({ form }, engine) => createSession(engine, form));
  router.add('GET', '/v1/checkout/sessions/:id', ({ params }, engine) =>
    engine.store.session(params['id'] ?? ''),
  );
  router.add('POST', '/v1/checkout/sessions/:id/expire', ({ params, form }, engine) => {
    form.allowOnly(['expand']);
    const session = engine.store.session(params['id'] ?? '');
    if (session.status !== 'open') {
      throw invalidRequest(
        'Only Checkout Sessions with a status in ["open"] can be expired.',
        undefined,
        'session',
      );
    }
    return expireSession(engine, session);
  });
  router.add('GET', '/v1/checkout/sessions/:id/line_items', ({ params, form }, engine) => {
    form.allowOnly(['limit', 'starting_after', 'ending_before', 'expand']);
    const session = engine.store.session(params['id'] ?? '');
    const items = engine.store.sessionLineItems.get(session.id) ?? [];
    return paginate(items, form, `/v1/checkout/sessions/${session.id}/line_items`);
  });
  router.add('GET', '/v1/checkout/sessions', ({ form }, engine) => {
    form.allowOnly([
      ...LIST_PARAMS,
      'customer',
      'customer_details',
      'payment_intent',
      'payment_link',
      'status',
      'subscription',
    ]);
    const customer = form.string('customer');
    const paymentIntent = form.string('payment_intent');
    const subscription = form.string('subscription');
    const status = form.oneOf('status', ['open', 'complete', 'expired']);
    const email = form.object('customer_details')?.allowOnly(['email']).string('email');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.sessions).filter(
      (s) =>
        (customer === undefined || s.customer === customer) &&
        (paymentIntent === undefined || s.payment_intent === paymentIntent) &&
        (subscription === undefined || s.subscription === subscription) &&
        (status === undefined || s.status === status) &&
        (email === undefined || s.customer_details?.email === email) &&
        created(s.created),
    );
    return paginate(items, form, '/v1/checkout/sessions');
  });
}
