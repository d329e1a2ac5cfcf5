import type { Config } from '../config.js';
import type { AppContext } from '../app/shared/context.js';
import { StripeCheckout } from '../app/billing/checkout.js';
import type { Ports } from '../core/ports/index.js';
import { DiscordBudget } from '../adapters/discord/budget.js';
import { DiscordRestAdapter } from '../adapters/discord/rest.js';
import { StripeClient } from '../adapters/stripe/client.js';

/** The Discord adapter when a bot token is configured (real Discord, or the local one via DISCORD_API_URL). */
export function discordAdapter(config: Config): Partial<Ports> {
  const { DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_APPLICATION_ID, DISCORD_CLIENT_SECRET } = config;
  if (!DISCORD_BOT_TOKEN) return {};
  const { DISCORD_PROXY_URL, DISCORD_GLOBAL_LIMIT, DISCORD_LIMIT_MARGIN_MS } = config;
  return {
    discord: new DiscordRestAdapter({
      // Through the shared proxy when there is one: it holds the one budget of every process.
      apiUrl: DISCORD_PROXY_URL ? `${DISCORD_PROXY_URL.replace(/\/$/, '')}/api` : DISCORD_API_URL,
      botToken: DISCORD_BOT_TOKEN,
      budget: new DiscordBudget({ limit: DISCORD_GLOBAL_LIMIT, marginMs: DISCORD_LIMIT_MARGIN_MS }),
      ...(DISCORD_APPLICATION_ID ? { applicationId: DISCORD_APPLICATION_ID } : {}),
      ...(DISCORD_CLIENT_SECRET ? { clientSecret: DISCORD_CLIENT_SECRET } : {}),
    }),
  };
}

/**
 * The Stripe adapter when STRIPE_SECRET_KEY is set. STRIPE_WEBHOOK_SECRET may be missing: the setup
 * checklist then creates Rolegate's webhook endpoint through Stripe's API and stores its secret.
 */
export function stripeAdapter(config: Config): Partial<Ports> {
  const { STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_URL } = config;
  if (!STRIPE_SECRET_KEY) return {};
  return {
    stripe: new StripeClient({
      secretKey: STRIPE_SECRET_KEY,
      webhookSecret: STRIPE_WEBHOOK_SECRET,
      apiUrl: STRIPE_API_URL,
    }),
  };
}

/**
 * Builds the Discord and Stripe adapters from the configuration (when configured), and the checkout
 * use case on top of Stripe: adapters never construct use cases; this composition root does.
 */
export function buildPorts(ctx: AppContext): Partial<Ports> {
  const stripe = stripeAdapter(ctx.config);
  return {
    ...stripe,
    ...(stripe.stripe ? { checkout: new StripeCheckout(ctx) } : {}),
    ...discordAdapter(ctx.config),
  };
}
