import Stripe from 'stripe';
import type { LocalStripe } from './index.js';

/** What `seedCatalog` created, by what a person would call it. */
export interface SeededCatalog {
  products: { membership: string; lifetime: string };
  prices: { monthly: string; yearly: string; lifetime: string };
}

/**
 * A small catalog to buy from: a membership with a monthly and a yearly price, and a one-time
 * lifetime price. Created through the official client over HTTP, like any caller would.
 */
export async function seedCatalog(local: LocalStripe): Promise<SeededCatalog> {
  const stripe = new Stripe(local.secretKey, { ...local.stripeConfig, maxNetworkRetries: 0 });
  const membership = await stripe.products.create({ name: 'Membership' });
  const monthly = await stripe.prices.create({
    product: membership.id,
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
    nickname: 'Monthly',
  });
  const yearly = await stripe.prices.create({
    product: membership.id,
    currency: 'usd',
    unit_amount: 15000,
    recurring: { interval: 'year' },
    nickname: 'Yearly',
  });
  const lifetime = await stripe.products.create({ name: 'Lifetime access' });
  const once = await stripe.prices.create({ product: lifetime.id, currency: 'usd', unit_amount: 4900 });
  return {
    products: { membership: membership.id, lifetime: lifetime.id },
    prices: { monthly: monthly.id, yearly: yearly.id, lifetime: once.id },
  };
}
