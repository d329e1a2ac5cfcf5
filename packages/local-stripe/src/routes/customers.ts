/** Customers and billing portal sessions. */
import { previousAttributes } from '../engine/context.js';
import { invalidParam } from '../errors.js';
import { snapshot } from '../events.js';
import { newId } from '../ids.js';
import { createdFilter, LIST_PARAMS, newestFirst, paginate } from '../list.js';
import { buildCustomer, buildPortalSession } from '../objects/customer.js';
import { applyMetadata, type Params } from '../params.js';
import type { Router } from '../router.js';

const CUSTOMER_FIELDS = [
  'email',
  'name',
  'phone',
  'description',
  'metadata',
  'address',
  'shipping',
  'preferred_locales',
  'invoice_settings',
  'tax_exempt',
  'payment_method',
  'expand',
];

function email(form: Params): string | null | undefined {
  const value = form.string('email');
  if (value === undefined) return undefined;
  if (value === '') return null;
  if (value.length > 512 || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw invalidParam('email', `Invalid email address: ${value}`, 'email_invalid');
  }
  return value;
}

export function registerCustomerRoutes(router: Router): void {
  router.add('POST', '/v1/customers', ({ form }, engine) => {
    form.allowOnly(CUSTOMER_FIELDS);
    const customer = buildCustomer({
      id: newId('customer'),
      email: email(form) ?? null,
      name: form.string('name') || null,
      phone: form.string('phone') || null,
      description: form.string('description') || null,
      metadata: applyMetadata({}, form.metadata()),
      now: engine.clock.nowSeconds(),
    });
    engine.store.customers.set(customer.id, customer);
    engine.events.emit('customer.created', customer);
    return customer;
  });
  router.add('GET', '/v1/customers/:id', ({ params }, engine) => engine.store.customer(params['id'] ?? ''));
  router.add('POST', '/v1/customers/:id', ({ params, form }, engine) => {
    form.allowOnly([...CUSTOMER_FIELDS, 'default_source']);
    const customer = engine.store.customer(params['id'] ?? '');
    const before = snapshot(customer);
    const newEmail = email(form);
    if (newEmail !== undefined) customer.email = newEmail;
    if (form.has('name')) customer.name = form.string('name') || null;
    if (form.has('phone')) customer.phone = form.string('phone') || null;
    if (form.has('description')) customer.description = form.string('description') || null;
    customer.metadata = applyMetadata(customer.metadata, form.metadata());
    const previous = previousAttributes(before, snapshot(customer));
    if (Object.keys(previous).length > 0) engine.events.emit('customer.updated', customer, previous);
    return customer;
  });
  router.add('GET', '/v1/customers', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'email', 'test_clock']);
    // Stripe matches the email exactly, case-sensitively.
    const byEmail = form.string('email');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.customers).filter(
      (c) => (byEmail === undefined || c.email === byEmail) && created(c.created),
    );
    return paginate(items, form, '/v1/customers');
  });

  router.add('POST', '/v1/billing_portal/sessions', ({ form }, engine) => {
    form.allowOnly([
      'customer',
      'return_url',
      'configuration',
      'flow_data',
      'locale',
      'on_behalf_of',
      'expand',
    ]);
    const customer = engine.store.customer(form.requiredString('customer'), 'customer');
    const returnUrl = form.string('return_url') ?? null;
    if (returnUrl !== null && !URL.canParse(returnUrl)) {
      throw invalidParam('return_url', 'Not a valid URL', 'url_invalid');
    }
    const id = newId('portalSession');
    const session = buildPortalSession({
      id,
      customer: customer.id,
      returnUrl,
      url: `${engine.baseUrl()}/portal/${id}`,
      now: engine.clock.nowSeconds(),
    });
    engine.store.portalSessions.set(id, session);
    return session;
  });
}
