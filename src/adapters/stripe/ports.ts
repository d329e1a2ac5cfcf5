import type { AppContext } from '../../app/shared/context.js';
import { StripeCheckout } from '../../app/billing/checkout.js';
import type { Ports } from '../../core/ports/index.js';
import { StripeClient } from './client.js';

/** The Stripe port and the checkout port built on it, when STRIPE_SECRET_KEY and the webhook secret are set. */
export function stripePorts(ctx: AppContext): Partial<Ports> {
  const { STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_URL } = ctx.config;
  if (!STRIPE_SECRET_KEY || !STRIPE_WEBHOOK_SECRET) return {};
  return {
    stripe: new StripeClient({
      secretKey: STRIPE_SECRET_KEY,
      webhookSecret: STRIPE_WEBHOOK_SECRET,
      apiUrl: STRIPE_API_URL,
    }),
    checkout: new StripeCheckout(ctx),
  };
}
