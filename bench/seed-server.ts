/**
 * Benchmarks' seed: one connected server with its roles and one entitlement, stored as the install
 * flow stores them (the server and its roles are read from the local Discord, not hand-written).
 */
import type { Kysely } from 'kysely';
import type { DiscordPort } from '../src/core/ports/discord.js';
import type { Database } from '../src/adapters/store/schema.js';
import { readGuild, serverRow } from '../src/app/access/servers.js';
import { entitlementRow } from '../src/app/catalog/entitlements.js';

export async function seedServer(
  db: Kysely<Database>,
  discord: DiscordPort,
  input: { serverId: string; entitlementId: string; guildId: string; roleIds: string[]; name: string },
): Promise<void> {
  const snap = await readGuild(discord, input.guildId);
  const now = Date.now();
  await db
    .insertInto('servers')
    .values(
      serverRow({
        id: input.serverId,
        guildId: input.guildId,
        name: input.name,
        now,
        bot_user_id: snap.botUserId,
        owner_id: snap.ownerId,
        bot_permissions: snap.standing.permissions,
        bot_top_position: snap.standing.topRole?.position ?? 0,
        bot_top_role_id: snap.standing.topRole?.id ?? null,
        health_checked_at: now,
      }),
    )
    .execute();
  await db
    .insertInto('server_roles')
    .values(
      snap.roles.map((r) => ({
        server_id: input.serverId,
        role_id: r.id,
        name: r.name,
        position: r.position,
        permissions: r.permissions,
        managed: r.managed ? 1 : 0,
      })),
    )
    .execute();
  await db
    .insertInto('entitlements')
    .values(
      entitlementRow({
        id: input.entitlementId,
        serverId: input.serverId,
        name: input.name,
        now,
        role_ids: JSON.stringify(input.roleIds),
        grace_days: 0,
      }),
    )
    .execute();
}
