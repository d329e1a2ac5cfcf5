import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startLocalStripe, type LocalStripe, type LocalStripeOptions } from '../src/index.js';

export interface Harness {
  local: LocalStripe;
  stripe: Stripe;
  close(): Promise<void>;
}

export async function startHarness(options: LocalStripeOptions = {}): Promise<Harness> {
  const local = await startLocalStripe({ sweepIntervalMs: null, ...options });
  // The official client, unchanged, pointed at the local server; no network retries so failures show.
  const stripe = new Stripe(local.secretKey, { ...local.stripeConfig, maxNetworkRetries: 0 });
  return { local, stripe, close: () => local.close() };
}

export interface Received {
  rawBody: string;
  signature: string;
}

/** A webhook receiver: records every POST and answers with `status()` (200 by default). */
export interface Receiver {
  url: string;
  received: Received[];
  status: (n: number) => number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Omit<Receiver, 'url' | 'close'> = { received: [], status: () => 200 };
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count += 1;
      receiver.received.push({
        rawBody: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['stripe-signature'] ?? ''),
      });
      res.writeHead(receiver.status(count)).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

export async function monthlyPrice(stripe: Stripe, unitAmount = 1500): Promise<Stripe.Price> {
  const product = await stripe.products.create({ name: 'VIP role' });
  return stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
  });
}

export async function oneTimePrice(stripe: Stripe, unitAmount = 4900): Promise<Stripe.Price> {
  return stripe.prices.create({
    product_data: { name: 'Lifetime access' },
    currency: 'usd',
    unit_amount: unitAmount,
  });
}

/** A subscription bought through Checkout and paid; returns the subscription id. */
export async function paidSubscription(
  h: Harness,
  price: Stripe.Price,
  extra: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Promise<string> {
  const session = await h.stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: 'https://rolegate.test/thanks?session_id={CHECKOUT_SESSION_ID}',
    ...extra,
  });
  const result = h.local.completeCheckout(session.id, { outcome: 'paid', email: 'buyer@example.com' });
  return String(result.session.subscription);
}

export function typesSince(local: LocalStripe, index: number): string[] {
  return local
    .events()
    .slice(index)
    .map((e) => e.type);
}
