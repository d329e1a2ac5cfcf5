/** Subscriptions: retrieve, list, update (items, cancellation flags, metadata), cancel, pause, resume. */
import type Stripe from 'stripe';
import {
  applyCancelAt,
  applyCancelAtPeriodEnd,
  cancelNow,
  pause,
  resume,
  updateSubscription,
  type ItemChange,
} from '../engine/subscriptions.js';
import type { Engine } from '../engine/context.js';
import { changeItems } from '../engine/prorations.js';
import { invalidParam, invalidRequest, noSuch } from '../errors.js';
import { createdFilter, LIST_PARAMS, newestFirst, paginate } from '../list.js';
import { applyMetadata, type Params } from '../params.js';
import type { Router } from '../router.js';

const UPDATE_PARAMS = [
  'items',
  'proration_behavior',
  'proration_date',
  'cancel_at_period_end',
  'cancel_at',
  'metadata',
  'description',
  'default_payment_method',
  'payment_behavior',
  'cancellation_details',
  'billing_cycle_anchor',
  'collection_method',
  'off_session',
  'expand',
];
const ENDED: ReadonlyArray<Stripe.Subscription.Status> = ['canceled', 'incomplete_expired'];

function itemChanges(engine: Engine, form: Params): ItemChange[] {
  return (form.objects('items') ?? []).map((item) => {
    item.allowOnly([
      'id',
      'price',
      'quantity',
      'deleted',
      'metadata',
      'price_data',
      'clear_usage',
      'tax_rates',
      'discounts',
    ]);
    const change: ItemChange = {};
    const id = item.nonEmptyString('id');
    if (id !== undefined) change.id = id;
    const price = item.nonEmptyString('price');
    if (price !== undefined) change.price = engine.store.price(price, item.name('price'));
    const quantity = item.integer('quantity', { min: 0 });
    if (quantity !== undefined) change.quantity = quantity;
    if (item.boolean('deleted') === true) change.deleted = true;
    if (item.has('price_data'))
      throw invalidParam(item.name('price_data'), 'The local Stripe needs an existing price here.');
    return change;
  });
}

function updateHandler(engine: Engine, sub: Stripe.Subscription, form: Params): Stripe.Subscription {
  form.allowOnly(UPDATE_PARAMS);
  if (ENDED.includes(sub.status)) {
    if (form.has('items') || form.has('cancel_at_period_end') || form.has('cancel_at')) {
      throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.');
    }
  }
  const prorationBehavior =
    form.oneOf('proration_behavior', ['none', 'create_prorations', 'always_invoice'] as const) ??
    'create_prorations';
  const paymentBehavior =
    form.oneOf('payment_behavior', [
      'allow_incomplete',
      'default_incomplete',
      'error_if_incomplete',
      'pending_if_incomplete',
    ] as const) ?? 'allow_incomplete';
  const prorationDate = form.integer('proration_date', { min: 0 });
  const changes = itemChanges(engine, form);
  if (paymentBehavior === 'pending_if_incomplete' && form.has('metadata')) {
    throw invalidRequest(
      'When `payment_behavior` is `pending_if_incomplete`, only some parameters can be updated; `metadata` is not one of them.',
    );
  }
  const cancelAtPeriodEnd = form.boolean('cancel_at_period_end');
  const cancelAtRaw = form.string('cancel_at');
  const details = form.object('cancellation_details')?.allowOnly(['comment', 'feedback']);
  // Engine refusals (SandboxActionError) become 400 invalid_request_error in the server.
  // A change of items sends its own events (and may wait for a payment); the rest is one update.
  if (changes.length > 0) {
    changeItems(engine, sub, changes, {
      prorationBehavior,
      paymentBehavior,
      ...(prorationDate === undefined ? {} : { prorationDate }),
    });
  }
  return updateSubscription(engine, sub, () => {
    if (cancelAtRaw !== undefined) {
      applyCancelAt(
        engine,
        sub,
        cancelAtRaw === '' ? null : (form.integer('cancel_at', { min: engine.clock.nowSeconds() }) ?? null),
      );
    }
    if (cancelAtPeriodEnd !== undefined) applyCancelAtPeriodEnd(engine, sub, cancelAtPeriodEnd);
    if (form.has('description')) sub.description = form.string('description') || null;
    sub.metadata = applyMetadata(sub.metadata, form.metadata());
    if (details !== undefined && sub.cancellation_details !== null) {
      if (details.has('comment')) sub.cancellation_details.comment = details.string('comment') || null;
      const feedback = details.string('feedback');
      if (feedback !== undefined) sub.cancellation_details.feedback = feedback || null;
    }
  });
}

export function registerSubscriptionRoutes(router: Router): void {
  router.add('GET', '/v1/subscriptions/:id', ({ params }, engine) =>
    engine.store.subscription(params['id'] ?? ''),
  );
  router.add('POST', '/v1/subscriptions/:id', ({ params, form }, engine) =>
    updateHandler(engine, engine.store.subscription(params['id'] ?? ''), form),
  );
  router.add('DELETE', '/v1/subscriptions/:id', ({ params, form }, engine) => {
    form.allowOnly(['invoice_now', 'prorate', 'cancellation_details', 'expand']);
    // Both default to false. Prorations are not modelled (as for updates): `prorate=true` would
    // credit the unused time and `invoice_now=true` bill what is pending, neither of which the
    // local Stripe keeps; they are checked like Stripe checks them.
    form.boolean('invoice_now');
    form.boolean('prorate');
    const sub = engine.store.subscription(params['id'] ?? '');
    // Stripe treats a canceled subscription as deleted: canceling it again is a 404.
    if (ENDED.includes(sub.status)) throw noSuch('subscription', sub.id);
    const comment =
      form.object('cancellation_details')?.allowOnly(['comment', 'feedback']).string('comment') ?? null;
    return cancelNow(engine, sub, comment);
  });
  router.add('POST', '/v1/subscriptions/:id/pause', ({ params, form }, engine) => {
    form.allowOnly(['bill_for', 'invoicing_behavior', 'type', 'expand']);
    return pause(engine, engine.store.subscription(params['id'] ?? ''));
  });
  router.add('POST', '/v1/subscriptions/:id/resume', ({ params, form }, engine) => {
    form.allowOnly([
      'billing_cycle_anchor',
      'payment_behavior',
      'proration_behavior',
      'proration_date',
      'expand',
    ]);
    const sub = engine.store.subscription(params['id'] ?? '');
    if (sub.status !== 'paused') {
      throw invalidRequest(
        'Only subscriptions with `status=paused` can be resumed.',
        undefined,
        'subscription',
      );
    }
    return resume(engine, sub);
  });
  router.add('GET', '/v1/subscriptions', ({ form }, engine) => {
    form.allowOnly([
      ...LIST_PARAMS,
      'customer',
      'price',
      'status',
      'collection_method',
      'current_period_end',
      'current_period_start',
      'test_clock',
      'automatic_tax',
    ]);
    const customer = form.string('customer');
    const price = form.string('price');
    const status = form.oneOf('status', [
      'active',
      'all',
      'canceled',
      'ended',
      'incomplete',
      'incomplete_expired',
      'past_due',
      'paused',
      'trialing',
      'unpaid',
    ]);
    const created = createdFilter(form);
    const statusMatches = (s: Stripe.Subscription.Status): boolean => {
      // Without `status`, Stripe lists the subscriptions that have not ended.
      if (status === undefined) return !ENDED.includes(s);
      if (status === 'all') return true;
      if (status === 'ended') return ENDED.includes(s);
      return s === status;
    };
    const items = newestFirst(engine.store.subscriptions).filter(
      (s) =>
        (customer === undefined || s.customer === customer) &&
        (price === undefined || s.items.data.some((i) => i.price.id === price)) &&
        statusMatches(s.status) &&
        created(s.created),
    );
    return paginate(items, form, '/v1/subscriptions');
  });
}
