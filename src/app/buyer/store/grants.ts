import type { Executor } from '../../../adapters/store/db.js';

/** What the buyer side reads and marks of grants: claim codes, the emails about a grant, purchases. */

export interface ClaimableGrant {
  id: string;
  status: string;
  customerId: string;
  serverId: string;
  entitlementName: string;
  serverName: string;
}

/** The grant a claim code (normalized, `ABCD-EFGH`) belongs to. */
export async function grantByClaimCode(db: Executor, code: string): Promise<ClaimableGrant | null> {
  const row = await db
    .selectFrom('grants')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .innerJoin('servers', 'servers.id', 'grants.server_id')
    .select([
      'grants.id',
      'grants.status',
      'grants.customer_id',
      'grants.server_id',
      'entitlements.name as entitlementName',
      'servers.name as serverName',
    ])
    .where('grants.claim_code', '=', code)
    .executeTakeFirst();
  if (!row) return null;
  const { customer_id: customerId, server_id: serverId, ...rest } = row;
  return { ...rest, customerId, serverId };
}

/** Records the first claim of a grant; false when it was claimed before (by anyone). */
export async function recordClaim(db: Executor, grantId: string, discordUserId: string, now: number) {
  const r = await db
    .insertInto('grant_claims')
    .values({ grant_id: grantId, discord_user_id: discordUserId, claimed_at: now })
    .onConflict((oc) => oc.column('grant_id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** The Discord account that claimed a grant first. */
export async function claimantOf(db: Executor, grantId: string): Promise<string> {
  const row = await db
    .selectFrom('grant_claims')
    .select('discord_user_id')
    .where('grant_id', '=', grantId)
    .executeTakeFirstOrThrow();
  return row.discord_user_id;
}

/** A grant with what an email or DM about it says: who, what, where, and which reminders went out. */
export interface GrantMailContext {
  id: string;
  status: string;
  active: boolean;
  claimCode: string | null;
  customerId: string;
  email: string | null;
  discordUserId: string | null;
  entitlementName: string;
  serverName: string;
  endsAt: number | null;
  graceEndsAt: number | null;
  remindedForEndsAt: number | null;
  paymentFailedRemindedFor: number | null;
}

export async function grantMailContext(db: Executor, grantId: string): Promise<GrantMailContext | null> {
  const g = await db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .innerJoin('servers', 'servers.id', 'grants.server_id')
    .select([
      'grants.id',
      'grants.status',
      'grants.active',
      'grants.claim_code',
      'grants.customer_id',
      'grants.ends_at',
      'grants.grace_ends_at',
      'grants.reminded_for_ends_at',
      'grants.payment_failed_reminded_for',
      'customers.email',
      'customers.discord_user_id',
      'entitlements.name as entitlementName',
      'servers.name as serverName',
    ])
    .where('grants.id', '=', grantId)
    .executeTakeFirst();
  if (!g) return null;
  return {
    id: g.id,
    status: g.status,
    active: g.active === 1,
    claimCode: g.claim_code,
    customerId: g.customer_id,
    email: g.email,
    discordUserId: g.discord_user_id,
    entitlementName: g.entitlementName,
    serverName: g.serverName,
    endsAt: g.ends_at,
    graceEndsAt: g.grace_ends_at,
    remindedForEndsAt: g.reminded_for_ends_at,
    paymentFailedRemindedFor: g.payment_failed_reminded_for,
  };
}

/** Live, unrevoked grants whose end falls in (from, to]: the "access ending" candidates. */
export async function grantsEndingWithin(db: Executor, from: number, to: number, limit: number) {
  const rows = await db
    .selectFrom('grants')
    .select(['id', 'ends_at', 'reminded_for_ends_at'])
    .where('active', '=', 1)
    .where('status', '!=', 'revoked')
    .where('ends_at', 'is not', null)
    .where('ends_at', '>', from)
    .where('ends_at', '<=', to)
    .limit(limit)
    .execute();
  return rows.flatMap((r) =>
    r.ends_at === null ? [] : [{ id: r.id, endsAt: r.ends_at, remindedForEndsAt: r.reminded_for_ends_at }],
  );
}

/** Which reminder: the end it announced, or the grace period whose failed payment it announced. */
export type ReminderMark = 'reminded_for_ends_at' | 'payment_failed_reminded_for';

/** Claims a reminder for `value` (a conditional UPDATE): true for exactly one caller, however many race. */
export async function claimReminder(db: Executor, grantId: string, mark: ReminderMark, value: number) {
  const r = await db
    .updateTable('grants')
    .set({ [mark]: value })
    .where('id', '=', grantId)
    .where((eb) => eb.or([eb(mark, 'is', null), eb(mark, '!=', value)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives a claimed reminder back (its email could not be sent) so the retry sends it. */
export async function releaseReminder(
  db: Executor,
  grantId: string,
  mark: ReminderMark,
  previous: number | null,
) {
  await db
    .updateTable('grants')
    .set({ [mark]: previous })
    .where('id', '=', grantId)
    .execute();
}

export async function grantStatus(db: Executor, grantId: string): Promise<string | null> {
  const row = await db.selectFrom('grants').select('status').where('id', '=', grantId).executeTakeFirst();
  return row?.status ?? null;
}

/** The purchases a signed-in buyer sees: live ones, and ended ones that once gave access. */
export async function purchasesOfCustomer(db: Executor, customerId: string) {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .select(['entitlements.name', 'grants.status', 'grants.active'])
    .where('grants.customer_id', '=', customerId)
    .where((eb) => eb.or([eb('grants.active', '=', 1), eb('grants.delivered_at', 'is not', null)]))
    .orderBy('grants.id', 'desc')
    .limit(50)
    .execute();
  return rows.map((p) => ({ name: p.name, status: p.status, active: p.active === 1 }));
}

/**
 * True when the customer has a grant that was ever paid for, given, or is being paid (abandoned or
 * expired checkouts do not count).
 */
export async function hasPaidOrGivenGrant(db: Executor, customerId: string): Promise<boolean> {
  const purchase = await db
    .selectFrom('grants')
    .select('id')
    .where('customer_id', '=', customerId)
    .where((eb) =>
      eb.or([
        eb('active', '=', 1),
        eb('delivered_at', 'is not', null),
        eb('stripe_payment_intents', '!=', '[]'),
        eb('stripe_subscription_id', 'is not', null),
        eb('source', 'in', ['manual', 'comp']),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return purchase !== undefined;
}
