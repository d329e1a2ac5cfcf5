import type { Selectable } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import type { ServersTable } from '../../../adapters/store/schema.js';
import type { DiscordRole } from '../../../core/ports/discord.js';
import type { BotStanding } from '../../../core/role-grantability.js';
import { notFound } from '../../../core/errors.js';

/** The access capability's queries on `servers` and `server_roles`. */

export type ServerRow = Selectable<ServersTable>;

/** What Discord says about the guild and the bot's place in it, as stored on the server row. */
export interface GuildSnapshot {
  guildId: string;
  name: string;
  ownerId: string;
  botUserId: string;
  roles: DiscordRole[];
  standing: BotStanding;
}

/** A role as stored from the last snapshot. */
export interface StoredRole {
  id: string;
  name: string;
  position: number;
  managed: boolean;
}

export async function findServer(db: Executor, serverId: string): Promise<ServerRow | undefined> {
  return db.selectFrom('servers').selectAll().where('id', '=', serverId).executeTakeFirst();
}

/** The server, or a 404. */
export async function loadServer(db: Executor, serverId: string): Promise<ServerRow> {
  const server = await findServer(db, serverId);
  if (!server) throw notFound('server', serverId);
  return server;
}

/** The managed (not removed) server of a guild. */
export async function serverOfGuild(
  db: Executor,
  guildId: string,
): Promise<Pick<ServerRow, 'id' | 'status' | 'bot_user_id'> | undefined> {
  return db
    .selectFrom('servers')
    .select(['id', 'status', 'bot_user_id'])
    .where('guild_id', '=', guildId)
    .where('status', '!=', 'removed')
    .executeTakeFirst();
}

/** Servers newest first (ids sort by creation time), `limit + 1` rows for `toPage`. */
export async function listServers(
  db: Executor,
  page: { afterId?: string | undefined; limit: number },
): Promise<ServerRow[]> {
  let q = db
    .selectFrom('servers')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.afterId) q = q.where('id', '<', page.afterId);
  return q.execute();
}

/** Servers in the given states, oldest first (optionally only one). */
export async function serversIn(
  db: Executor,
  statuses: readonly string[],
  only?: string,
): Promise<Pick<ServerRow, 'id' | 'name' | 'status' | 'paused_at'>[]> {
  let q = db
    .selectFrom('servers')
    .select(['id', 'name', 'status', 'paused_at'])
    .where('status', 'in', [...statuses]);
  if (only) q = q.where('id', '=', only);
  return q.orderBy('created_at').execute();
}

/** Writes a snapshot into the server row and replaces its stored roles. */
export async function storeSnapshot(db: Executor, serverId: string, snap: GuildSnapshot, now: number) {
  await db
    .updateTable('servers')
    .set({
      name: snap.name,
      owner_id: snap.ownerId,
      bot_user_id: snap.botUserId,
      bot_permissions: snap.standing.permissions,
      bot_top_position: snap.standing.topRole?.position ?? 0,
      bot_top_role_id: snap.standing.topRole?.id ?? null,
      health_checked_at: now,
      updated_at: now,
    })
    .where('id', '=', serverId)
    .execute();
  await db.deleteFrom('server_roles').where('server_id', '=', serverId).execute();
  if (snap.roles.length > 0)
    await db
      .insertInto('server_roles')
      .values(
        snap.roles.map((r) => ({
          server_id: serverId,
          role_id: r.id,
          name: r.name,
          position: r.position,
          permissions: r.permissions,
          managed: r.managed ? 1 : 0,
        })),
      )
      .execute();
}

/** The server of a guild (any status), to re-activate on a reinstall. */
export async function serverIdOfGuild(db: Executor, guildId: string): Promise<string | undefined> {
  const row = await db.selectFrom('servers').select('id').where('guild_id', '=', guildId).executeTakeFirst();
  return row?.id;
}

export async function reactivateServer(db: Executor, serverId: string): Promise<void> {
  await db
    .updateTable('servers')
    .set({ status: 'active', pause_reason: null, paused_at: null })
    .where('id', '=', serverId)
    .execute();
}

export async function insertServer(db: Executor, row: ServerRow): Promise<void> {
  await db.insertInto('servers').values(row).execute();
}

/** The roles of the last snapshot. */
export async function storedRoles(db: Executor, serverId: string): Promise<StoredRole[]> {
  const rows = await db.selectFrom('server_roles').selectAll().where('server_id', '=', serverId).execute();
  return rows.map((r) => ({ id: r.role_id, name: r.name, position: r.position, managed: r.managed === 1 }));
}

/** Every role some entitlement of the server sells or falls back to (archived ones too: holders remain). */
export async function managedRoleIdsOf(db: Executor, serverId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('entitlements')
    .select(['role_ids', 'fallback_role_id'])
    .where('server_id', '=', serverId)
    .execute();
  const ids = new Set<string>();
  for (const e of rows) {
    for (const r of JSON.parse(e.role_ids) as string[]) ids.add(r);
    if (e.fallback_role_id) ids.add(e.fallback_role_id);
  }
  return ids;
}

/** Roles of the server's entitlements whose merchant chose to enforce them (hand-given copies are removed). */
export async function enforcedRoleIdsOf(db: Executor, serverId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('entitlements')
    .select('role_ids')
    .where('server_id', '=', serverId)
    .where('enforce_roles', '=', 1)
    .execute();
  const ids = new Set<string>();
  for (const e of rows) for (const r of JSON.parse(e.role_ids) as string[]) ids.add(r);
  return ids;
}

/** Pauses a server's syncs with the reason in plain words (idempotent: the first reason stays). */
export async function pauseServer(
  db: Executor,
  serverId: string,
  reason: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('servers')
    .set({ status: 'paused', pause_reason: reason, paused_at: now, updated_at: now })
    .where('id', '=', serverId)
    .where('status', '=', 'active')
    .execute();
}

/** Lets syncs run again. */
export async function resumeServer(db: Executor, serverId: string, now: number): Promise<void> {
  await db
    .updateTable('servers')
    .set({ status: 'active', pause_reason: null, paused_at: null, updated_at: now })
    .where('id', '=', serverId)
    .where('status', '=', 'paused')
    .execute();
}

/** A paused server's health was checked again: the newest reason (when known) and the time. */
export async function recordPausedCheck(
  db: Executor,
  serverId: string,
  change: { reason?: string | undefined; at?: number | undefined },
): Promise<void> {
  await db
    .updateTable('servers')
    .set({
      ...(change.reason !== undefined ? { pause_reason: change.reason } : {}),
      ...(change.at !== undefined ? { health_checked_at: change.at } : {}),
    })
    .where('id', '=', serverId)
    .execute();
}

/** Whether List Guild Members answered (the privileged Server Members intent is on). */
export async function recordMembersIntent(db: Executor, serverId: string, on: boolean, now: number) {
  await db
    .updateTable('servers')
    .set({ members_intent: on ? 1 : 0, updated_at: now })
    .where('id', '=', serverId)
    .execute();
}
