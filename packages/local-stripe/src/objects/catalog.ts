/** Products, prices and the legacy `plan` mirror of a recurring price, in the pinned API shapes. */
import Stripe from 'stripe';

export interface ProductInput {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Record<string, string>;
  now: number;
}

export function buildProduct(input: ProductInput): Stripe.Product {
  return {
    id: input.id,
    object: 'product',
    active: input.active,
    created: input.now,
    default_price: null,
    description: input.description,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: input.metadata,
    name: input.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: input.now,
    url: null,
  } satisfies Stripe.Product;
}

export type Interval = 'day' | 'week' | 'month' | 'year';

export interface PriceInput {
  id: string;
  product: string;
  currency: string;
  unitAmount: number;
  recurring: { interval: Interval; intervalCount: number; trialPeriodDays: number | null } | null;
  active: boolean;
  nickname: string | null;
  lookupKey: string | null;
  metadata: Record<string, string>;
  now: number;
}

export function buildPrice(input: PriceInput): Stripe.Price {
  return {
    id: input.id,
    object: 'price',
    active: input.active,
    billing_scheme: 'per_unit',
    created: input.now,
    currency: input.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookupKey,
    metadata: input.metadata,
    nickname: input.nickname,
    product: input.product,
    recurring:
      input.recurring === null
        ? null
        : {
            interval: input.recurring.interval,
            interval_count: input.recurring.intervalCount,
            meter: null,
            trial_period_days: input.recurring.trialPeriodDays,
            usage_type: 'licensed',
          },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: input.recurring === null ? 'one_time' : 'recurring',
    unit_amount: input.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(String(input.unitAmount)),
  } satisfies Stripe.Price;
}

/** Subscription items still carry `plan`, a mirror of their recurring price. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  const recurring = price.recurring;
  if (recurring === null) throw new Error(`price ${price.id} is not recurring`);
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount === null ? null : Stripe.Decimal.from(String(price.unit_amount)),
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: recurring.interval,
    interval_count: recurring.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: typeof price.product === 'string' ? price.product : price.product.id,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: recurring.trial_period_days,
    usage_type: 'licensed',
  } satisfies Stripe.Plan;
}

const DAY = 86_400;

/**
 * The end of one billing period starting at `start`: days and weeks are fixed lengths; months and
 * years keep the anchor's day of month, clamped to the month's last day (Jan 31 → Feb 28 → Mar 31).
 */
export function addInterval(start: number, interval: Interval, count: number, anchor = start): number {
  switch (interval) {
    case 'day':
      return start + count * DAY;
    case 'week':
      return start + count * 7 * DAY;
    case 'month':
    case 'year': {
      const months = interval === 'year' ? 12 * count : count;
      const from = new Date(start * 1000);
      const anchorDate = new Date(anchor * 1000);
      const targetMonth = from.getUTCMonth() + months;
      const year = from.getUTCFullYear() + Math.floor(targetMonth / 12);
      const month = ((targetMonth % 12) + 12) % 12;
      const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      const day = Math.min(anchorDate.getUTCDate(), lastDay);
      const end = Date.UTC(
        year,
        month,
        day,
        anchorDate.getUTCHours(),
        anchorDate.getUTCMinutes(),
        anchorDate.getUTCSeconds(),
      );
      return Math.floor(end / 1000);
    }
  }
}

export function asInterval(value: string): Interval {
  if (value === 'day' || value === 'week' || value === 'month' || value === 'year') return value;
  throw new Error(`unknown interval ${value}`);
}
