import type { DiscordPort } from './discord.js';
import type { StripePort } from './stripe.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends one email. Throws on failure so the job that called it retries. */
export interface MailPort {
  send(message: MailMessage): Promise<void>;
}

/** What a buyer is about to buy, from the roles-channel button or an offer page. */
export interface CheckoutRequest {
  entitlementId: string;
  priceId?: string;
  discordUserId?: string;
  email?: string;
  /** A known customer (a buyer signed in by their emailed link). */
  customerId?: string;
  /** Where the billing portal sends a holder back to; default: the offer page. */
  returnUrl?: string;
}

/** A link for the buyer: a new Checkout, or the billing portal when they already hold the entitlement. */
export type CheckoutLink =
  { kind: 'checkout'; url: string; grantId: string } | { kind: 'portal'; url: string };

export interface CheckoutPort {
  createCheckout(request: CheckoutRequest): Promise<CheckoutLink>;
}

/** The outside services, each behind an interface; null when not configured. */
export interface Ports {
  mail: MailPort;
  discord: DiscordPort | null;
  stripe: StripePort | null;
  checkout: CheckoutPort | null;
}
