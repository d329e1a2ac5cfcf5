import type { Db } from '../../src/adapters/store/db.js';
import { newId } from '../../src/core/ids.js';
import { serverRow } from '../../src/app/access/servers.js';

/** Inserts a connected server with roles (as the Discord connect flow would), for tests of other parts. */
export async function seedServer(
  db: Db,
  options: {
    guildId?: string;
    name?: string;
    roles?: { id: string; name: string; position: number; managed?: boolean }[];
    botTopPosition?: number;
    botPermissions?: string;
  } = {},
) {
  const now = Date.now();
  const id = newId('server', now);
  const guildId = options.guildId ?? String(100000000000000000n + BigInt(Math.floor(Math.random() * 1e12)));
  const roles = options.roles ?? [
    { id: `${guildId.slice(0, -2)}11`, name: 'Gold', position: 2 },
    { id: `${guildId.slice(0, -2)}12`, name: 'Silver', position: 1 },
  ];
  await db.kysely
    .insertInto('servers')
    .values(
      serverRow({
        id,
        guildId,
        name: options.name ?? 'Test Server',
        now,
        bot_user_id: '999000000000000001',
        owner_id: '999000000000000002',
        bot_permissions: options.botPermissions ?? String((1n << 28n) | 1n | 2n | 1024n | 2048n | 16384n),
        bot_top_position: options.botTopPosition ?? 10,
        bot_top_role_id: '999000000000000003',
        health_checked_at: now,
      }),
    )
    .execute();
  for (const r of roles) {
    await db.kysely
      .insertInto('server_roles')
      .values({
        server_id: id,
        role_id: r.id,
        name: r.name,
        position: r.position,
        permissions: '0',
        managed: r.managed ? 1 : 0,
      })
      .execute();
  }
  return { id, guildId, roles };
}
