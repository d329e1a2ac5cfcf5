import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import { syncSubscription } from '../billing/lifecycle.js';
import { planOptions, type PlanOption } from '../catalog/plan-moves.js';
import { ensureStripePrice } from '../catalog/prices.js';
import { entitlementById, priceById, type PriceRow } from '../catalog/store.js';
import type { AppContext } from '../shared/context.js';
import { requireStripe } from '../shared/services.js';
import { ownGrant } from './actions.js';
import type { PortalSession } from './sessions.js';

/**
 * A buyer changes plan from the portal (decision 0022): to another price of the same entitlement
 * or to an entitlement the merchant offers as an upgrade or a downgrade. Stripe invoices the
 * prorations now; the subscription's items (and so the grant's entitlement and roles) change only
 * when that invoice is paid — `customer.subscription.updated` then moves the grant, as any plan
 * change made at Stripe does. Nothing here writes the grant.
 */

export interface PlanChoices {
  grantId: string;
  current: { entitlementName: string; price: PriceRow | null };
  options: PlanOption[];
}

async function ownRunningSubscription(ctx: AppContext, session: PortalSession, grantId: string) {
  const grant = await ownGrant(ctx, session, grantId);
  if (!grant.stripe_subscription_id || grant.active !== 1)
    throw new AppError('unprocessable', 'Only a running subscription can change plan.');
  return { ...grant, stripe_subscription_id: grant.stripe_subscription_id };
}

export async function portalPlanChoices(
  ctx: AppContext,
  session: PortalSession,
  grantId: string,
): Promise<PlanChoices> {
  const grant = await ownRunningSubscription(ctx, session, grantId);
  const db = ctx.db.kysely;
  const price = grant.price_id ? await priceById(db, grant.price_id) : null;
  const entitlement = await entitlementById(db, grant.entitlement_id);
  const options = await planOptions(ctx, grant.entitlement_id, {
    priceId: grant.price_id,
    currency: price?.currency ?? null,
  });
  return { grantId, current: { entitlementName: entitlement?.name ?? '', price }, options };
}

export type PlanChangeOutcome = 'changed' | 'awaiting_payment';

export async function portalChangePlan(
  ctx: AppContext,
  session: PortalSession,
  grantId: string,
  priceId: string,
): Promise<PlanChangeOutcome> {
  const choices = await portalPlanChoices(ctx, session, grantId);
  const target = choices.options.find((o) => o.price.id === priceId);
  if (!target)
    throw new AppError(
      'unprocessable',
      'This plan is not offered for your purchase. Pick one from the list.',
    );
  const grant = await ownRunningSubscription(ctx, session, grantId);
  const sub = await requireStripe(ctx).changeSubscriptionPrice(
    grant.stripe_subscription_id,
    await ensureStripePrice(ctx, target.price.id),
    `portal-plan:${randomUUID()}`,
  );
  // The webhook says the same a moment later; applying it now shows the change on the next page.
  await syncSubscription(ctx, grant.stripe_subscription_id);
  return sub.pendingUpdate ? 'awaiting_payment' : 'changed';
}
