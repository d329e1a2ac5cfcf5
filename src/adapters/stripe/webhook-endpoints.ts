import Stripe from 'stripe';
import type { StripeWebhookEndpoint } from '../../core/ports/stripe.js';
import { call } from './errors.js';

/** Rolegate's own webhook endpoint at Stripe (`/v1/webhook_endpoints`), for the setup checklist. */

const view = (e: Stripe.WebhookEndpoint): StripeWebhookEndpoint => ({
  id: e.id,
  url: e.url,
  events: [...e.enabled_events],
  status: e.status,
});

export function createWebhookEndpoint(
  sdk: Stripe,
  input: { url: string; events: readonly string[]; description: string },
  idempotencyKey: string,
): Promise<StripeWebhookEndpoint & { secret: string }> {
  return call(async () => {
    const e = await sdk.webhookEndpoints.create(
      {
        url: input.url,
        enabled_events: [...input.events] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
        description: input.description,
        // Events are rendered in the version the SDK speaks, whatever the account's default.
        api_version: Stripe.API_VERSION,
      },
      { idempotencyKey },
    );
    if (!e.secret) throw new Error('Stripe created the webhook endpoint without returning its secret');
    return { ...view(e), secret: e.secret };
  });
}

/** The endpoint, or null when Stripe no longer has it (deleted in Stripe's dashboard). */
export async function retrieveWebhookEndpoint(
  sdk: Stripe,
  id: string,
): Promise<StripeWebhookEndpoint | null> {
  try {
    return view(await sdk.webhookEndpoints.retrieve(id));
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    return call(() => Promise.reject(err));
  }
}
