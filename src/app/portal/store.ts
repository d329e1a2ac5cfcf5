import type { Executor } from '../../adapters/store/db.js';

/**
 * The customer portal's queries (decision 0021): its sessions, and what one buyer may see. Every
 * read of purchases is scoped to the customers a session owns, so an id from another buyer finds nothing.
 */

export interface PortalSessionRow {
  token_hash: string;
  customer_id: string | null;
  discord_user_id: string | null;
  created_at: number;
  expires_at: number;
}

export async function insertPortalSession(db: Executor, row: PortalSessionRow): Promise<void> {
  await db.insertInto('portal_sessions').values(row).execute();
}

export async function portalSessionByHash(
  db: Executor,
  tokenHash: string,
  now: number,
): Promise<PortalSessionRow | null> {
  const row = await db
    .selectFrom('portal_sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ?? null;
}

export async function deletePortalSession(db: Executor, tokenHash: string): Promise<void> {
  await db.deleteFrom('portal_sessions').where('token_hash', '=', tokenHash).execute();
}

export async function deleteExpiredPortalSessions(db: Executor, before: number): Promise<number> {
  const r = await db.deleteFrom('portal_sessions').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The customers a session acts for: its customer, or every customer linked to its Discord account. */
export async function ownedCustomers(
  db: Executor,
  who: { customerId: string | null; discordUserId: string | null },
) {
  let q = db
    .selectFrom('customers')
    .leftJoin('discord_links', 'discord_links.customer_id', 'customers.id')
    .select([
      'customers.id',
      'customers.email',
      'customers.stripe_customer_id',
      'customers.discord_user_id',
      'discord_links.username',
      'discord_links.access_token_enc',
      'discord_links.token_invalid_at',
    ]);
  if (who.customerId) q = q.where('customers.id', '=', who.customerId);
  else if (who.discordUserId) q = q.where('customers.discord_user_id', '=', who.discordUserId);
  else return [];
  return q.orderBy('customers.id').limit(20).execute();
}

export type OwnedCustomer = Awaited<ReturnType<typeof ownedCustomers>>[number];

export async function customerByEmail(db: Executor, email: string) {
  return db.selectFrom('customers').select(['id', 'email']).where('email', '=', email).executeTakeFirst();
}

export async function customerIdsOfDiscordUser(db: Executor, discordUserId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('customers')
    .select('id')
    .where('discord_user_id', '=', discordUserId)
    .execute();
  return rows.map((r) => r.id);
}

/** The purchases of these customers a buyer cares about: live ones, and ended ones that once gave access. */
export async function purchasesOf(db: Executor, customerIds: readonly string[]) {
  if (customerIds.length === 0) return [];
  return db
    .selectFrom('grants')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .innerJoin('servers', 'servers.id', 'grants.server_id')
    .select([
      'grants.id',
      'grants.customer_id',
      'grants.entitlement_id',
      'grants.status',
      'grants.active',
      'grants.source',
      'grants.stripe_subscription_id',
      'grants.stripe_status',
      'grants.ends_at',
      'grants.grace_ends_at',
      'grants.stripe_cancel_at',
      'grants.status_reason',
      'grants.revoked_at',
      'grants.last_error_message',
      'grants.last_error_owner',
      'entitlements.name',
      'entitlements.role_ids',
      'servers.id as server_id',
      'servers.guild_id',
      'servers.name as server_name',
    ])
    .where('grants.customer_id', 'in', [...customerIds])
    .where((eb) => eb.or([eb('grants.active', '=', 1), eb('grants.delivered_at', 'is not', null)]))
    .orderBy('grants.active', 'desc')
    .orderBy('grants.id', 'desc')
    .limit(50)
    .execute();
}

export type PurchaseRow = Awaited<ReturnType<typeof purchasesOf>>[number];

/** One purchase, only when it belongs to one of these customers (anything else reads as absent). */
export async function ownedPurchase(db: Executor, customerIds: readonly string[], grantId: string) {
  if (customerIds.length === 0) return undefined;
  return db
    .selectFrom('grants')
    .select([
      'id',
      'customer_id',
      'server_id',
      'entitlement_id',
      'price_id',
      'active',
      'status',
      'stripe_subscription_id',
      'stripe_status',
    ])
    .where('id', '=', grantId)
    .where('customer_id', 'in', [...customerIds])
    .executeTakeFirst();
}

/** Role names per server, for the roles a purchase gives. */
export async function roleNames(db: Executor, serverIds: readonly string[]) {
  if (serverIds.length === 0) return new Map<string, string>();
  const rows = await db
    .selectFrom('server_roles')
    .select(['server_id', 'role_id', 'name'])
    .where('server_id', 'in', [...serverIds])
    .execute();
  return new Map(rows.map((r) => [`${r.server_id}:${r.role_id}`, r.name]));
}
