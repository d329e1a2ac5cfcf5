import { sql } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import { notFound } from '../../../core/errors.js';
import { entitlementById, type EntitlementRow } from '../../catalog/store.js';
import { grantById, type GrantRow } from '../../grants/store.js';

/**
 * How Stripe objects find their grant, and the bookkeeping that is not an access change
 * (payment intents, freshness marks, the billing columns). Access changes go through applyGrantEvent.
 */

export { grantById };

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

/** The grant a Checkout Session was created for, found by the session id it records. */
export async function grantByCheckoutSession(db: Executor, sessionId: string): Promise<GrantRow | null> {
  const row = await db
    .selectFrom('grants')
    .selectAll()
    .where('stripe_checkout_session_id', '=', sessionId)
    .executeTakeFirst();
  return row ?? null;
}

/** A grant that gives (or is about to lose, unpaid) this entitlement to this customer. */
export async function heldGrantOf(db: Executor, customerId: string, entitlementId: string) {
  return db
    .selectFrom('grants')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('entitlement_id', '=', entitlementId)
    .where('status', '!=', 'revoked')
    .where((eb) => eb.or([eb('active', '=', 1), eb('stripe_status', 'in', ['past_due', 'unpaid'])]))
    .executeTakeFirst();
}

/** Grants of one buyer and entitlement whose Checkout Session may still be open, oldest first. */
export async function openCheckoutGrants(db: Executor, customerId: string, entitlementId: string) {
  return db
    .selectFrom('grants')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('entitlement_id', '=', entitlementId)
    .where('status', '=', 'pending')
    .where('active', '=', 0)
    .where('stripe_checkout_session_id', 'is not', null)
    .orderBy('id')
    .execute();
}

/** Billing columns written without a state change (no sync, no webhook by themselves). */
export type BillingColumns = Partial<
  Pick<
    GrantRow,
    | 'server_id'
    | 'stripe_checkout_session_id'
    | 'stripe_payment_intents'
    | 'stripe_status'
    | 'stripe_cancel_at'
    | 'stripe_subscription_id'
    | 'revoke_billing_status'
    | 'revoke_billing_error'
    | 'updated_at'
  >
>;

export async function setGrantColumns(db: Executor, grantId: string, set: BillingColumns): Promise<void> {
  await db.updateTable('grants').set(set).where('id', '=', grantId).execute();
}

/** Moves the payment intents recorded for one grant to another (a reissued grant). */
export async function movePaymentIntents(
  db: Executor,
  fromGrantId: string,
  toGrantId: string,
): Promise<void> {
  await db
    .updateTable('grant_payment_intents')
    .set({ grant_id: toGrantId })
    .where('grant_id', '=', fromGrantId)
    .execute();
}

/** Subscriptions with a grant not revoked (Stripe reconcile re-reads each). */
export async function subscriptionsToReconcile(db: Executor, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('grants')
    .select('stripe_subscription_id')
    .distinct()
    .where('stripe_subscription_id', 'is not', null)
    .where('status', '!=', 'revoked')
    .limit(limit)
    .execute();
  return rows.flatMap((r) => (r.stripe_subscription_id ? [r.stripe_subscription_id] : []));
}

/** Checkout Sessions of unpaid one-time grants created after `since` (Stripe reconcile re-reads each). */
export async function openSessionsToReconcile(db: Executor, since: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('grants')
    .select('stripe_checkout_session_id')
    .where('status', '=', 'pending')
    .where('active', '=', 0)
    .where('stripe_subscription_id', 'is', null)
    .where('stripe_checkout_session_id', 'is not', null)
    .where('created_at', '>', since)
    .limit(limit)
    .execute();
  return rows.flatMap((r) => (r.stripe_checkout_session_id ? [r.stripe_checkout_session_id] : []));
}

/** The entitlement a grant sells (its terms and policies); not found is an error. */
export async function entitlementOfGrant(db: Executor, entitlementId: string): Promise<EntitlementRow> {
  const e = await entitlementById(db, entitlementId);
  if (!e) throw notFound('entitlement', entitlementId);
  return e;
}

export interface BillingLogEntry {
  server_id: string;
  discord_user_id: string;
  grant_id: string;
  outcome: string;
  error_code: string | null;
  error_owner: string | null;
  message: string;
  cause: string;
  created_at: number;
}

/** One `billing` line in a grant's sync log (what Stripe was asked after a revoke). */
export async function insertBillingLog(db: Executor, entry: BillingLogEntry): Promise<void> {
  await db
    .insertInto('sync_log')
    .values({ ...entry, action: 'billing', role_id: null })
    .execute();
}
