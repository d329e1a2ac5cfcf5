import { AppError } from '../../core/errors.js';
import type { DiscordPort } from '../../core/ports/discord.js';
import type { StripePort } from '../../core/ports/stripe.js';
import type { AppContext } from './context.js';

/** The Stripe port, or a 503 `service_unavailable` when Stripe is not configured. */
export function requireStripe(ctx: AppContext): StripePort {
  const stripe = ctx.ports.stripe;
  if (!stripe) throw new AppError('service_unavailable', 'Stripe is not configured: set STRIPE_SECRET_KEY');
  return stripe;
}

/** The Discord port, or a 503 `service_unavailable` when no bot token is configured. */
export function requireDiscord(ctx: AppContext): DiscordPort {
  if (!ctx.ports.discord)
    throw new AppError(
      'service_unavailable',
      'Discord is not configured: set DISCORD_BOT_TOKEN (or run the sandbox).',
    );
  return ctx.ports.discord;
}
