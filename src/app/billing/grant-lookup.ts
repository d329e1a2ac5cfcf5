import { sql } from 'kysely';
import type { Executor } from '../../adapters/store/db.js';
import type { GrantRow } from '../grants/grants.js';
import type { SubscriptionSnapshot } from '../../core/ports/stripe.js';

/**
 * How Stripe objects find their grant, and the bookkeeping that is not an access change
 * (payment intents, freshness marks). Access changes go through applyGrantEvent.
 */

/** The grant a subscription pays for: the newest grant linked to it that is not revoked, else the newest. */
export async function grantBySubscription(db: Executor, subscriptionId: string): Promise<GrantRow | null> {
  const rows = await db
    .selectFrom('grants')
    .selectAll()
    .where('stripe_subscription_id', '=', subscriptionId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.find((g) => g.status !== 'revoked') ?? rows[0] ?? null;
}

export async function grantById(db: Executor, id: string | null | undefined): Promise<GrantRow | null> {
  if (!id) return null;
  return (await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function grantByPaymentIntent(db: Executor, paymentIntentId: string): Promise<GrantRow | null> {
  const link = await db
    .selectFrom('grant_payment_intents')
    .select('grant_id')
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  return grantById(db, link?.grant_id);
}

/** Records payment intents that paid for a grant (refunds and disputes map back through them). */
export async function recordPaymentIntents(
  db: Executor,
  grant: Pick<GrantRow, 'id' | 'stripe_payment_intents'>,
  paymentIntentIds: string[],
  now: number,
): Promise<void> {
  const known = new Set(JSON.parse(grant.stripe_payment_intents) as string[]);
  const fresh = paymentIntentIds.filter((id) => !known.has(id));
  if (fresh.length === 0) return;
  for (const id of fresh) {
    await db
      .insertInto('grant_payment_intents')
      .values({ payment_intent_id: id, grant_id: grant.id, created_at: now })
      .onConflict((oc) => oc.column('payment_intent_id').doNothing())
      .execute();
    known.add(id);
  }
  const json = JSON.stringify([...known]);
  grant.stripe_payment_intents = json;
  await db.updateTable('grants').set({ stripe_payment_intents: json }).where('id', '=', grant.id).execute();
}

/**
 * Claims the right to apply a snapshot of `objectId` requested at `requestedAt` (wall-clock ms).
 * False when a snapshot requested later was already applied: two jobs re-reading one object at
 * once cannot let the older answer overwrite the newer one. On PostgreSQL the upsert also holds the
 * row lock until commit, which serializes concurrent processing of one object.
 */
export async function claimFreshSnapshot(
  db: Executor,
  objectId: string,
  requestedAt: number,
): Promise<boolean> {
  const r = await db
    .insertInto('stripe_object_syncs')
    .values({ object_id: objectId, requested_at: requestedAt })
    .onConflict((oc) =>
      oc
        .column('object_id')
        .doUpdateSet({ requested_at: requestedAt })
        .where(sql<boolean>`stripe_object_syncs.requested_at <= ${requestedAt}`),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Bookkeeping columns that do not change access (so no sync and no merchant webhook). */
export async function patchGrant(
  db: Executor,
  grant: GrantRow,
  patch: Partial<
    Pick<
      GrantRow,
      | 'stripe_status'
      | 'stripe_event_created'
      | 'stripe_subscription_id'
      | 'stripe_checkout_session_id'
      | 'stripe_cancel_at'
      | 'status_reason'
    >
  >,
  now: number,
): Promise<GrantRow> {
  const changed = Object.entries(patch).some(([k, v]) => grant[k as keyof GrantRow] !== v);
  if (!changed) return grant;
  await db
    .updateTable('grants')
    .set({ ...patch, updated_at: now })
    .where('id', '=', grant.id)
    .execute();
  return { ...grant, ...patch, updated_at: now };
}

/** When a subscription ends (a scheduled cancel) or ended; null while it renews. */
export function subscriptionEndsAt(sub: SubscriptionSnapshot): number | null {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return sub.endedAt ?? sub.cancelAt;
  return sub.cancelAt ?? (sub.cancelAtPeriodEnd ? sub.currentPeriodEnd : null);
}
