import type { Executor } from '../../../adapters/store/db.js';

/** What the Discord interactions read and write: the entitlement behind a buy button, short checkout links, a member's grants. */

export interface BuyButtonOffer {
  id: string;
  name: string;
  saleEndsAt: number | null;
  archivedAt: number | null;
  guildId: string;
  serverName: string;
}

export async function buyButtonOffer(db: Executor, entitlementId: string): Promise<BuyButtonOffer | null> {
  const row = await db
    .selectFrom('entitlements')
    .innerJoin('servers', 'servers.id', 'entitlements.server_id')
    .select([
      'entitlements.id',
      'entitlements.name',
      'entitlements.sale_ends_at',
      'entitlements.archived_at',
      'servers.guild_id',
      'servers.name as serverName',
    ])
    .where('entitlements.id', '=', entitlementId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    saleEndsAt: row.sale_ends_at,
    archivedAt: row.archived_at,
    guildId: row.guild_id,
    serverName: row.serverName,
  };
}

export interface CheckoutLink {
  token: string;
  url: string;
  entitlementId: string;
  discordUserId: string | null;
  createdAt: number;
  expiresAt: number;
}

export async function saveCheckoutLink(db: Executor, link: CheckoutLink): Promise<void> {
  await db
    .insertInto('checkout_links')
    .values({
      token: link.token,
      url: link.url,
      entitlement_id: link.entitlementId,
      discord_user_id: link.discordUserId,
      created_at: link.createdAt,
      expires_at: link.expiresAt,
    })
    .execute();
}

export async function checkoutLinkTarget(
  db: Executor,
  token: string,
): Promise<{ url: string; expiresAt: number } | null> {
  const row = await db
    .selectFrom('checkout_links')
    .select(['url', 'expires_at'])
    .where('token', '=', token)
    .executeTakeFirst();
  return row ? { url: row.url, expiresAt: row.expires_at } : null;
}

/** The server Rolegate knows by this Discord guild id. */
export async function serverOfGuild(
  db: Executor,
  guildId: string,
): Promise<{ id: string; name: string } | null> {
  const row = await db
    .selectFrom('servers')
    .select(['id', 'name'])
    .where('guild_id', '=', guildId)
    .executeTakeFirst();
  return row ?? null;
}

export interface MemberGrant {
  name: string;
  status: string;
  active: boolean;
  endsAt: number | null;
  lastErrorOwner: string | null;
  lastErrorMessage: string | null;
}

/** The grants of the customers linked to a Discord account on one server, newest first (20). */
export async function memberGrants(
  db: Executor,
  discordUserId: string,
  serverId: string,
): Promise<MemberGrant[]> {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .select([
      'grants.status',
      'grants.active',
      'grants.ends_at',
      'grants.last_error_owner',
      'grants.last_error_message',
      'entitlements.name',
    ])
    .where('customers.discord_user_id', '=', discordUserId)
    .where('grants.server_id', '=', serverId)
    .orderBy('grants.created_at', 'desc')
    .limit(20)
    .execute();
  return rows.map((g) => ({
    name: g.name,
    status: g.status,
    active: g.active === 1,
    endsAt: g.ends_at,
    lastErrorOwner: g.last_error_owner,
    lastErrorMessage: g.last_error_message,
  }));
}
