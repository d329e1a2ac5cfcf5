/** Invoices, their lines, and invoice payments (the link from an invoice to its payment intents). */
import { createdFilter, LIST_PARAMS, newestFirst, paginate } from '../list.js';
import type { Router } from '../router.js';
import { payInvoice } from '../engine/prorations.js';

export function registerBillingRoutes(router: Router): void {
  router.add('GET', '/v1/invoices/:id', ({ params }, engine) => engine.store.invoice(params['id'] ?? ''));
  router.add('GET', '/v1/invoices/:id/lines', ({ params, form }, engine) => {
    form.allowOnly(['limit', 'starting_after', 'ending_before', 'expand']);
    const invoice = engine.store.invoice(params['id'] ?? '');
    return paginate(invoice.lines.data, form, `/v1/invoices/${invoice.id}/lines`);
  });
  router.add('POST', '/v1/invoices/:id/pay', ({ params, form }, engine) => {
    form.allowOnly([
      'expand',
      'off_session',
      'payment_method',
      'source',
      'forgive',
      'mandate',
      'paid_out_of_band',
    ]);
    return payInvoice(engine, engine.store.invoice(params['id'] ?? ''));
  });
  router.add('GET', '/v1/invoices', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'customer', 'subscription', 'status', 'collection_method', 'due_date']);
    const customer = form.string('customer');
    const subscription = form.string('subscription');
    const status = form.oneOf('status', ['draft', 'open', 'paid', 'uncollectible', 'void']);
    const created = createdFilter(form);
    const items = newestFirst(engine.store.invoices).filter(
      (i) =>
        (customer === undefined || i.customer === customer) &&
        (subscription === undefined || i.parent?.subscription_details?.subscription === subscription) &&
        (status === undefined || i.status === status) &&
        created(i.created),
    );
    return paginate(items, form, '/v1/invoices');
  });

  router.add('GET', '/v1/invoice_payments/:id', ({ params }, engine) =>
    engine.store.invoicePayment(params['id'] ?? ''),
  );
  router.add('GET', '/v1/invoice_payments', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'invoice', 'payment', 'status']);
    const invoice = form.string('invoice');
    const payment = form.object('payment')?.allowOnly(['type', 'payment_intent', 'payment_record']);
    const type = payment?.oneOf('type', ['payment_intent', 'payment_record']);
    const paymentIntent = payment?.string('payment_intent');
    const status = form.oneOf('status', ['canceled', 'open', 'paid']);
    const created = createdFilter(form);
    const items = newestFirst(engine.store.invoicePayments).filter(
      (p) =>
        (invoice === undefined || p.invoice === invoice) &&
        (type === undefined || p.payment.type === type) &&
        (paymentIntent === undefined || p.payment.payment_intent === paymentIntent) &&
        (status === undefined || p.status === status) &&
        created(p.created),
    );
    return paginate(items, form, '/v1/invoice_payments');
  });
}
