/** Products and prices. */
import type Stripe from 'stripe';
import type { Engine } from '../engine/context.js';
import { previousAttributes } from '../engine/context.js';
import { invalidParam, invalidRequest, missingParam } from '../errors.js';
import { snapshot } from '../events.js';
import { newId } from '../ids.js';
import { createdFilter, LIST_PARAMS, newestFirst, paginate } from '../list.js';
import { buildPrice, buildProduct, type Interval } from '../objects/catalog.js';
import { applyMetadata, type Params } from '../params.js';
import type { Router } from '../router.js';

const PRODUCT_FIELDS = [
  'name',
  'active',
  'description',
  'metadata',
  'images',
  'statement_descriptor',
  'tax_code',
  'unit_label',
  'url',
  'shippable',
  'marketing_features',
];
const INTERVALS: readonly Interval[] = ['day', 'week', 'month', 'year'];
const MAX_INTERVAL_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };

export function createProduct(engine: Engine, form: Params, id?: string): Stripe.Product {
  const productId = id ?? newId('product');
  if (engine.store.products.has(productId)) {
    throw invalidRequest(`Product already exists.`, 'resource_already_exists', 'id');
  }
  const product = buildProduct({
    id: productId,
    name: form.requiredString('name'),
    description: form.string('description') ?? null,
    active: form.boolean('active') ?? true,
    metadata: applyMetadata({}, form.metadata()),
    now: engine.clock.nowSeconds(),
  });
  engine.store.products.set(product.id, product);
  engine.events.emit('product.created', product);
  return product;
}

function currency(form: Params, key = 'currency'): string {
  const value = form.requiredString(key).toLowerCase();
  if (!/^[a-z]{3}$/.test(value)) throw invalidParam(form.name(key), `Invalid currency: ${value}`);
  return value;
}

/** The `recurring` hash of a price or of `price_data`. */
export function recurringParam(
  form: Params,
): { interval: Interval; intervalCount: number; trialPeriodDays: number | null } | null {
  const recurring = form.object('recurring');
  if (recurring === undefined) return null;
  recurring.allowOnly([
    'interval',
    'interval_count',
    'usage_type',
    'trial_period_days',
    'meter',
    'aggregate_usage',
  ]);
  const interval = recurring.oneOf('interval', INTERVALS);
  if (interval === undefined) throw missingParam(recurring.name('interval'));
  const intervalCount = recurring.integer('interval_count', { min: 1 }) ?? 1;
  if (intervalCount > MAX_INTERVAL_COUNT[interval]) {
    throw invalidParam(recurring.name('interval_count'), 'The maximum billing frequency is three years.');
  }
  if (recurring.oneOf('usage_type', ['licensed', 'metered']) === 'metered') {
    throw invalidParam(recurring.name('usage_type'), 'The local Stripe supports licensed prices only.');
  }
  return {
    interval,
    intervalCount,
    trialPeriodDays: recurring.integer('trial_period_days', { min: 1 }) ?? null,
  };
}

function unitAmount(form: Params): number {
  const amount = form.integer('unit_amount', { min: 0 });
  if (amount !== undefined) return amount;
  const decimal = form.string('unit_amount_decimal');
  if (decimal !== undefined && /^\d+$/.test(decimal)) return Number(decimal);
  throw missingParam(form.name('unit_amount'));
}

/** Creates a price from `/v1/prices` params or from a line item's `price_data`. */
export function createPrice(engine: Engine, form: Params, inline = false): Stripe.Price {
  const productId = form.nonEmptyString('product');
  const productData = form.object('product_data');
  let product: string;
  if (productId !== undefined && productData !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: product, product_data.',
      undefined,
      form.name('product'),
    );
  } else if (productId !== undefined) {
    product = engine.store.product(productId, form.name('product')).id;
  } else if (productData !== undefined) {
    productData.allowOnly([...PRODUCT_FIELDS, 'id']);
    product = createProduct(engine, productData, productData.nonEmptyString('id')).id;
  } else {
    throw missingParam(form.name('product'));
  }
  const lookupKey = form.string('lookup_key') ?? null;
  if (lookupKey !== null && [...engine.store.prices.values()].some((p) => p.lookup_key === lookupKey)) {
    if (form.boolean('transfer_lookup_key') === true) {
      for (const p of engine.store.prices.values()) if (p.lookup_key === lookupKey) p.lookup_key = null;
    } else {
      throw invalidParam(form.name('lookup_key'), `A price (\`${lookupKey}\`) already uses that lookup key.`);
    }
  }
  const price = buildPrice({
    id: newId('price'),
    product,
    currency: currency(form),
    unitAmount: unitAmount(form),
    recurring: recurringParam(form),
    active: inline ? false : (form.boolean('active') ?? true),
    nickname: form.string('nickname') ?? null,
    lookupKey,
    metadata: applyMetadata({}, form.metadata()),
    now: engine.clock.nowSeconds(),
  });
  engine.store.prices.set(price.id, price);
  engine.events.emit('price.created', price);
  return price;
}

export function registerCatalogRoutes(router: Router): void {
  router.add('POST', '/v1/products', ({ form }, engine) => {
    form.allowOnly([...PRODUCT_FIELDS, 'id', 'expand', 'default_price_data', 'type', 'package_dimensions']);
    if (form.has('default_price_data')) {
      throw invalidParam(
        'default_price_data',
        'The local Stripe does not support default_price_data; create the price separately.',
      );
    }
    return createProduct(engine, form, form.nonEmptyString('id'));
  });
  router.add('GET', '/v1/products/:id', ({ params }, engine) => engine.store.product(params['id'] ?? ''));
  router.add('POST', '/v1/products/:id', ({ params, form }, engine) => {
    form.allowOnly([...PRODUCT_FIELDS, 'expand', 'default_price', 'package_dimensions']);
    const product = engine.store.product(params['id'] ?? '');
    const before = snapshot(product);
    const name = form.nonEmptyString('name');
    if (name !== undefined) product.name = name;
    if (form.has('description')) product.description = form.string('description') || null;
    const active = form.boolean('active');
    if (active !== undefined) product.active = active;
    const defaultPrice = form.string('default_price');
    if (defaultPrice !== undefined) {
      product.default_price =
        defaultPrice === '' ? null : engine.store.price(defaultPrice, 'default_price').id;
    }
    product.metadata = applyMetadata(product.metadata, form.metadata());
    const previous = previousAttributes(before, snapshot(product));
    if (Object.keys(previous).length > 0) {
      product.updated = engine.clock.nowSeconds();
      engine.events.emit('product.updated', product, previous);
    }
    return product;
  });
  router.add('GET', '/v1/products', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'active', 'ids', 'shippable', 'url']);
    const active = form.boolean('active');
    const ids = form.strings('ids');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.products).filter(
      (p) =>
        (active === undefined || p.active === active) &&
        (ids === undefined || ids.includes(p.id)) &&
        created(p.created),
    );
    return paginate(items, form, '/v1/products');
  });

  router.add('POST', '/v1/prices', ({ form }, engine) => {
    form.allowOnly([
      'currency',
      'unit_amount',
      'unit_amount_decimal',
      'product',
      'product_data',
      'recurring',
      'nickname',
      'lookup_key',
      'transfer_lookup_key',
      'metadata',
      'active',
      'tax_behavior',
      'billing_scheme',
      'expand',
    ]);
    const scheme = form.oneOf('billing_scheme', ['per_unit', 'tiered']);
    if (scheme === 'tiered')
      throw invalidParam('billing_scheme', 'The local Stripe supports per_unit prices only.');
    return createPrice(engine, form);
  });
  router.add('GET', '/v1/prices/:id', ({ params }, engine) => engine.store.price(params['id'] ?? ''));
  router.add('POST', '/v1/prices/:id', ({ params, form }, engine) => {
    form.allowOnly([
      'active',
      'metadata',
      'nickname',
      'lookup_key',
      'transfer_lookup_key',
      'tax_behavior',
      'expand',
    ]);
    const price = engine.store.price(params['id'] ?? '');
    const before = snapshot(price);
    const active = form.boolean('active');
    if (active !== undefined) price.active = active;
    if (form.has('nickname')) price.nickname = form.string('nickname') || null;
    if (form.has('lookup_key')) price.lookup_key = form.string('lookup_key') || null;
    price.metadata = applyMetadata(price.metadata, form.metadata());
    const previous = previousAttributes(before, snapshot(price));
    if (Object.keys(previous).length > 0) engine.events.emit('price.updated', price, previous);
    return price;
  });
  router.add('GET', '/v1/prices', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'active', 'product', 'type', 'currency', 'lookup_keys', 'recurring']);
    const active = form.boolean('active');
    const product = form.string('product');
    const type = form.oneOf('type', ['one_time', 'recurring']);
    const currencyFilter = form.string('currency')?.toLowerCase();
    const lookupKeys = form.strings('lookup_keys');
    const interval = form
      .object('recurring')
      ?.allowOnly(['interval', 'usage_type', 'meter'])
      .string('interval');
    const created = createdFilter(form);
    const items = newestFirst(engine.store.prices).filter(
      (p) =>
        (active === undefined || p.active === active) &&
        (product === undefined || p.product === product) &&
        (type === undefined || p.type === type) &&
        (currencyFilter === undefined || p.currency === currencyFilter) &&
        (lookupKeys === undefined || (p.lookup_key !== null && lookupKeys.includes(p.lookup_key))) &&
        (interval === undefined || p.recurring?.interval === interval) &&
        created(p.created),
    );
    return paginate(items, form, '/v1/prices');
  });
}
