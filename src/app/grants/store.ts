import type { Selectable } from 'kysely';
import type { Executor } from '../../adapters/store/db.js';
import type { CustomersTable, GrantsTable } from '../../adapters/store/schema.js';

/** The grants capability's queries: grants, customers, and the sync log shown with a grant. */

export type GrantRow = Selectable<GrantsTable>;
export type CustomerRow = Selectable<CustomersTable>;

// --- grants ---

export async function grantById(db: Executor, id: string | null | undefined): Promise<GrantRow | null> {
  if (!id) return null;
  return (await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function insertGrant(db: Executor, row: GrantRow): Promise<void> {
  await db.insertInto('grants').values(row).execute();
}

/**
 * Writes `update` only if the grant is still as `seen` (status, active, updated_at): a concurrent
 * writer that moved it first makes this miss. True when it was written.
 */
export async function updateGrantIfUnchanged(
  db: Executor,
  seen: Pick<GrantRow, 'id' | 'status' | 'active' | 'updated_at'>,
  update: Partial<GrantRow>,
): Promise<boolean> {
  const r = await db
    .updateTable('grants')
    .set(update)
    .where('id', '=', seen.id)
    .where('status', '=', seen.status)
    .where('active', '=', seen.active)
    .where('updated_at', '=', seen.updated_at)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface GrantFilter {
  status?: string | undefined;
  entitlementId?: string | undefined;
  customerId?: string | undefined;
  serverId?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Newest first; `limit + 1` rows so the caller can tell whether another page exists. */
export async function grantsPage(db: Executor, f: GrantFilter): Promise<GrantRow[]> {
  let q = db
    .selectFrom('grants')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(f.limit + 1);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.entitlementId) q = q.where('entitlement_id', '=', f.entitlementId);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.serverId) q = q.where('server_id', '=', f.serverId);
  if (f.afterId) q = q.where('id', '<', f.afterId);
  return q.execute();
}

/** Ids of grants not revoked whose end passed at `now` (at most `limit`). */
export async function endedGrantIds(db: Executor, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('grants')
    .select('id')
    .where('status', '!=', 'revoked')
    .where('ends_at', 'is not', null)
    .where('ends_at', '<=', now)
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export async function syncLogOfGrant(db: Executor, grantId: string, limit: number) {
  return db
    .selectFrom('sync_log')
    .selectAll()
    .where('grant_id', '=', grantId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** What a grant needs of its entitlement when it is created. */
export async function entitlementTerms(db: Executor, id: string) {
  const row = await db
    .selectFrom('entitlements')
    .select(['id', 'server_id', 'access_kind', 'access_days'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ?? null;
}

/** An entitlement with its server's status: whether a manual grant may be made for it. */
export async function entitlementForManualGrant(db: Executor, id: string) {
  const row = await db
    .selectFrom('entitlements')
    .innerJoin('servers', 'servers.id', 'entitlements.server_id')
    .select(['entitlements.id', 'entitlements.archived_at', 'servers.status as serverStatus'])
    .where('entitlements.id', '=', id)
    .executeTakeFirst();
  return row ?? null;
}

// --- customers ---

export async function customerById(db: Executor, id: string): Promise<CustomerRow | null> {
  return (await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** The first customer (by id) with this email, already normalized. */
export async function customerByEmail(db: Executor, email: string): Promise<CustomerRow | null> {
  const row = await db
    .selectFrom('customers')
    .selectAll()
    .where('email', '=', email)
    .orderBy('id')
    .executeTakeFirst();
  return row ?? null;
}

export async function customerByDiscordUser(
  db: Executor,
  discordUserId: string,
): Promise<CustomerRow | null> {
  const row = await db
    .selectFrom('customers')
    .selectAll()
    .where('discord_user_id', '=', discordUserId)
    .orderBy('id')
    .executeTakeFirst();
  return row ?? null;
}

export async function insertCustomerRow(db: Executor, row: CustomerRow): Promise<void> {
  await db.insertInto('customers').values(row).execute();
}

export async function setCustomerDiscordUser(
  db: Executor,
  id: string,
  discordUserId: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('customers')
    .set({ discord_user_id: discordUserId, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function setCustomerEmail(db: Executor, id: string, email: string, now: number): Promise<void> {
  await db.updateTable('customers').set({ email, updated_at: now }).where('id', '=', id).execute();
}

/** Records the customer's Stripe customer; one that already has one keeps it. */
export async function setStripeCustomerIfUnset(
  db: Executor,
  id: string,
  stripeCustomerId: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('customers')
    .set({ stripe_customer_id: stripeCustomerId, updated_at: now })
    .where('id', '=', id)
    .where('stripe_customer_id', 'is', null)
    .execute();
}

/** Newest first, `limit + 1` rows; `email` already normalized. */
export async function customersPage(
  db: Executor,
  filter: {
    email?: string | undefined;
    discordUserId?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<CustomerRow[]> {
  let q = db
    .selectFrom('customers')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.email) q = q.where('email', '=', filter.email);
  if (filter.discordUserId) q = q.where('discord_user_id', '=', filter.discordUserId);
  if (filter.afterId) q = q.where('id', '<', filter.afterId);
  return q.execute();
}

export async function newestGrantsOfCustomer(
  db: Executor,
  customerId: string,
  limit: number,
): Promise<GrantRow[]> {
  return db
    .selectFrom('grants')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
