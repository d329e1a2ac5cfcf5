/** Payment intents, charges, refunds and disputes. */
import type Stripe from 'stripe';
import { chargeFor, refundCharge, type RefundRequest } from '../engine/payments.js';
import { invalidRequest } from '../errors.js';
import { createdFilter, LIST_PARAMS, newestFirst, paginate } from '../list.js';
import { applyMetadata } from '../params.js';
import type { Router } from '../router.js';

const REFUND_REASONS: readonly Stripe.Refund.Reason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];

function idOf(ref: string | { id: string } | null): string | null {
  return ref === null ? null : typeof ref === 'string' ? ref : ref.id;
}

export function registerPaymentRoutes(router: Router): void {
  router.add('GET', '/v1/payment_intents/:id', ({ params }, engine) =>
    engine.store.paymentIntent(params['id'] ?? ''),
  );
  router.add('GET', '/v1/payment_intents', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'customer']);
    const customer = form.string('customer');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.paymentIntents).filter(
      (p) => (customer === undefined || p.customer === customer) && created(p.created),
    );
    return paginate(items, form, '/v1/payment_intents');
  });

  router.add('GET', '/v1/charges/:id', ({ params }, engine) => engine.store.charge(params['id'] ?? ''));
  router.add('GET', '/v1/charges', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'customer', 'payment_intent', 'transfer_group']);
    const customer = form.string('customer');
    const paymentIntent = form.string('payment_intent');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.charges).filter(
      (c) =>
        (customer === undefined || c.customer === customer) &&
        (paymentIntent === undefined || c.payment_intent === paymentIntent) &&
        created(c.created),
    );
    return paginate(items, form, '/v1/charges');
  });

  router.add('POST', '/v1/refunds', ({ form }, engine) => {
    form.allowOnly([
      'charge',
      'payment_intent',
      'amount',
      'reason',
      'metadata',
      'instructions_email',
      'origin',
      'refund_application_fee',
      'reverse_transfer',
      'expand',
    ]);
    const chargeId = form.nonEmptyString('charge');
    const paymentIntentId = form.nonEmptyString('payment_intent');
    if (chargeId !== undefined && paymentIntentId !== undefined) {
      throw invalidRequest(
        'You may only specify one of these parameters: charge, payment_intent.',
        undefined,
        'payment_intent',
      );
    }
    if (chargeId === undefined && paymentIntentId === undefined) {
      throw invalidRequest(
        'One of the following params should be provided for this request: payment_intent or charge.',
        'parameter_missing',
        'payment_intent',
      );
    }
    const request: RefundRequest = {
      charge:
        chargeId !== undefined
          ? engine.store.charge(chargeId, 'charge')
          : chargeFor(
              engine,
              engine.store.paymentIntent(paymentIntentId ?? '', 'payment_intent').id,
              'payment_intent',
            ),
      metadata: applyMetadata({}, form.metadata()),
    };
    const amount = form.integer('amount', { min: 1 });
    if (amount !== undefined) request.amount = amount;
    const reason = form.oneOf('reason', REFUND_REASONS);
    if (reason !== undefined) request.reason = reason;
    return refundCharge(engine, request);
  });
  router.add('GET', '/v1/refunds/:id', ({ params }, engine) => engine.store.refund(params['id'] ?? ''));
  router.add('GET', '/v1/refunds', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'charge', 'payment_intent']);
    const charge = form.string('charge');
    const paymentIntent = form.string('payment_intent');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.refunds).filter(
      (r) =>
        (charge === undefined || idOf(r.charge) === charge) &&
        (paymentIntent === undefined || idOf(r.payment_intent) === paymentIntent) &&
        created(r.created),
    );
    return paginate(items, form, '/v1/refunds');
  });

  router.add('GET', '/v1/disputes/:id', ({ params }, engine) => engine.store.dispute(params['id'] ?? ''));
  router.add('GET', '/v1/disputes', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'charge', 'payment_intent']);
    const charge = form.string('charge');
    const paymentIntent = form.string('payment_intent');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.disputes).filter(
      (d) =>
        (charge === undefined || idOf(d.charge) === charge) &&
        (paymentIntent === undefined || idOf(d.payment_intent) === paymentIntent) &&
        created(d.created),
    );
    return paginate(items, form, '/v1/disputes');
  });
}
