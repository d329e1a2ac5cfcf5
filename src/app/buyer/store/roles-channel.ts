import type { Selectable } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import type { EntitlementsTable, PricesTable, ServersTable } from '../../../adapters/store/schema.js';

/** The roles channel's reads and writes: what is on sale, where the one message is, and why it could not be published. */

export type RolesServer = Selectable<ServersTable>;

/** Entitlements of a server on sale at `now` (not archived, sale not over), oldest first. */
export async function entitlementsOnSale(
  db: Executor,
  serverId: string,
  now: number,
): Promise<Selectable<EntitlementsTable>[]> {
  return db
    .selectFrom('entitlements')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('archived_at', 'is', null)
    .where((eb) => eb.or([eb('sale_ends_at', 'is', null), eb('sale_ends_at', '>', now)]))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The active prices of these entitlements, cheapest first. */
export async function activePricesOf(
  db: Executor,
  entitlementIds: readonly string[],
): Promise<Selectable<PricesTable>[]> {
  if (entitlementIds.length === 0) return [];
  return db
    .selectFrom('prices')
    .selectAll()
    .where('entitlement_id', 'in', [...entitlementIds])
    .where('active', '=', 1)
    .orderBy('amount')
    .execute();
}

export async function serverById(db: Executor, serverId: string): Promise<RolesServer | null> {
  return (await db.selectFrom('servers').selectAll().where('id', '=', serverId).executeTakeFirst()) ?? null;
}

/** The last publish's problem (null when it went through) and when it was recorded. */
export async function rolesChannelProblem(
  db: Executor,
  serverId: string,
): Promise<{ error: string | null; updatedAt: number } | null> {
  const row = await db
    .selectFrom('roles_channel_state')
    .select(['error', 'updated_at'])
    .where('server_id', '=', serverId)
    .executeTakeFirst();
  return row ? { error: row.error, updatedAt: row.updated_at } : null;
}

/** Records a publish: `error` null is a success (published now), else the problem in plain words. */
export async function recordRolesChannelState(
  db: Executor,
  serverId: string,
  error: string | null,
  now: number,
) {
  const published = error === null ? now : null;
  await db
    .insertInto('roles_channel_state')
    .values({ server_id: serverId, error, published_at: published, updated_at: now })
    .onConflict((oc) =>
      oc
        .column('server_id')
        .doUpdateSet(
          error === null ? { error, published_at: now, updated_at: now } : { error, updated_at: now },
        ),
    )
    .execute();
}

/** Where the server's roles message is (a null message: post it anew in that channel). */
export async function setRolesMessage(
  db: Executor,
  serverId: string,
  channelId: string,
  messageId: string | null,
  now: number,
) {
  await db
    .updateTable('servers')
    .set({ roles_channel_id: channelId, roles_message_id: messageId, updated_at: now })
    .where('id', '=', serverId)
    .execute();
}

export interface RolesChannelState {
  serverId: string;
  channelId: string | null;
  messageId: string | null;
  problem: string | null;
  publishedAt: number | null;
}

export async function rolesChannelState(db: Executor, serverId: string): Promise<RolesChannelState | null> {
  const row = await db
    .selectFrom('servers')
    .leftJoin('roles_channel_state', 'roles_channel_state.server_id', 'servers.id')
    .select([
      'servers.id',
      'servers.roles_channel_id',
      'servers.roles_message_id',
      'roles_channel_state.error',
      'roles_channel_state.published_at',
    ])
    .where('servers.id', '=', serverId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    serverId: row.id,
    channelId: row.roles_channel_id,
    messageId: row.roles_message_id,
    problem: row.error ?? null,
    publishedAt: row.published_at ?? null,
  };
}
