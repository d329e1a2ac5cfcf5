import { randomUUID } from 'node:crypto';
import type { AppContext } from '../shared/context.js';
import { requireStripe } from '../shared/services.js';
import { STRIPE_EVENT_TYPES } from '../billing/process.js';
import { saveStripeWebhook, storedStripeWebhook } from './settings.js';

/**
 * Rolegate's own webhook endpoint at Stripe (decision 0025): created through
 * `POST /v1/webhook_endpoints` with exactly the events Rolegate acts on; the secret, which Stripe
 * returns only then, is stored encrypted and used to verify webhooks beside STRIPE_WEBHOOK_SECRET.
 */

export const stripeWebhookUrl = (ctx: AppContext) => `${ctx.publicUrl}/webhooks/stripe`;

export type StripeWebhookState =
  | 'not_configured' // no STRIPE_SECRET_KEY
  | 'created' // Rolegate created it, Stripe still has it, enabled, for this URL and every event
  | 'needs_update' // created, but for another URL, missing events or disabled: create it again
  | 'deleted' // created, but Stripe no longer has it
  | 'secret_configured' // STRIPE_WEBHOOK_SECRET is set (an endpoint made by hand)
  | 'missing';

export interface StripeWebhookStatus {
  state: StripeWebhookState;
  url: string;
  events: string[];
  endpoint_id: string | null;
  problem: string | null;
}

export async function stripeWebhookStatus(ctx: AppContext): Promise<StripeWebhookStatus> {
  const url = stripeWebhookUrl(ctx);
  const base = { url, events: [...STRIPE_EVENT_TYPES], endpoint_id: null, problem: null };
  const stripe = ctx.ports.stripe;
  if (!stripe) return { ...base, state: 'not_configured', problem: 'STRIPE_SECRET_KEY is not set' };
  const stored = await storedStripeWebhook(ctx);
  const configured = Boolean(ctx.config.STRIPE_WEBHOOK_SECRET);
  if (!stored) return { ...base, state: configured ? 'secret_configured' : 'missing' };
  const remote = await stripe.retrieveWebhookEndpoint(stored.endpoint_id);
  const withId = { ...base, endpoint_id: stored.endpoint_id };
  if (!remote)
    return { ...withId, state: 'deleted', problem: 'Stripe no longer has this endpoint; create it again' };
  const missing = STRIPE_EVENT_TYPES.filter(
    (t) => !remote.events.includes(t) && !remote.events.includes('*'),
  );
  const problem =
    remote.url !== url
      ? `it sends to ${remote.url}, not to ${url}`
      : remote.status !== 'enabled'
        ? 'it is disabled at Stripe'
        : missing.length > 0
          ? `it lacks the events ${missing.join(', ')}`
          : null;
  return { ...withId, state: problem ? 'needs_update' : 'created', problem };
}

/** Creates the endpoint unless a working one exists; `created` says which. */
export async function createStripeWebhook(
  ctx: AppContext,
): Promise<{ created: boolean; status: StripeWebhookStatus }> {
  const stripe = requireStripe(ctx);
  const current = await stripeWebhookStatus(ctx);
  if (current.state === 'created') return { created: false, status: current };
  const url = stripeWebhookUrl(ctx);
  const endpoint = await stripe.createWebhookEndpoint(
    { url, events: STRIPE_EVENT_TYPES, description: 'Rolegate (created by its setup checklist)' },
    `rolegate-setup-webhook-${randomUUID()}`,
  );
  await saveStripeWebhook(ctx, {
    endpoint_id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    secret: endpoint.secret,
    created_at: ctx.clock.now(),
  });
  return { created: true, status: await stripeWebhookStatus(ctx) };
}
