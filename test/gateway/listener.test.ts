import { afterEach, describe, expect, it } from 'vitest';
import { BOT_REMOVED_REASON, GATEWAY_CAUSE } from '../../src/app/access/gateway-events.js';
import { serverHealth } from '../../src/app/access/servers.js';
import { eventually } from '../helpers/app.js';
import { buyer, entitlement, grant, newShop } from '../reconcile/world.js';
import { gatewayUp, rolesOf, startGatewayWorld, syncsIdle, type GatewayWorld } from './world.js';

let w: GatewayWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

async function paidMember(world: GatewayWorld, options: { enforce?: boolean } = {}) {
  const shop = await newShop(world, 2);
  const paidRole = shop.roles[0]!;
  const ent = await entitlement(world, shop, [paidRole], options);
  const b = await buyer(world, shop);
  await grant(world, ent, b.customerId);
  await eventually(
    async () => rolesOf(world, shop.guildId, b.userId).includes(paidRole),
    10_000,
    'the paid role to be delivered',
  );
  await syncsIdle(world);
  return { shop, paidRole, ...b };
}

/** The member's sync log once every sync has finished (the log is written after the Discord call). */
const syncCauses = async (world: GatewayWorld, userId: string) => {
  await syncsIdle(world);
  return (
    await world.ctx.db.kysely
      .selectFrom('sync_log')
      .select(['cause', 'action', 'outcome'])
      .where('discord_user_id', '=', userId)
      .orderBy('id')
      .execute()
  ).map((r) => `${r.cause}:${r.action}:${r.outcome}`);
};

describe('the gateway listener on the local Discord', () => {
  it('a member who leaves and rejoins gets the paid role back without waiting for reconcile', async () => {
    w = await startGatewayWorld('sqlite');
    await gatewayUp(w);
    const { shop, paidRole, userId } = await paidMember(w);
    w.discord.memberLeaves(shop.guildId, userId);
    const from = w.reactions.length;
    w.discord.memberRejoins(shop.guildId, userId);
    expect(rolesOf(w, shop.guildId, userId)).toEqual([]);
    expect(await w.handled('GUILD_MEMBER_ADD', from, userId)).toBe('member_sync_queued');
    await eventually(
      async () => rolesOf(w!, shop.guildId, userId).includes(paidRole),
      10_000,
      'the role back',
    );
    expect(await syncCauses(w, userId)).toContain(`${GATEWAY_CAUSE.memberAdd}:add_role:ok`);
  });

  it('a paid role a moderator removes comes back; the update our own sync causes queues nothing', async () => {
    w = await startGatewayWorld('sqlite');
    await gatewayUp(w);
    const { shop, paidRole, userId } = await paidMember(w);
    // The delivery itself caused a GUILD_MEMBER_UPDATE that already shows the role: nothing to repair.
    const ownUpdate = await w.handled('GUILD_MEMBER_UPDATE', 0, userId);
    expect(ownUpdate).toBe('in_sync');

    const from = w.reactions.length;
    w.discord.moderatorRemovesRole(shop.guildId, userId, paidRole);
    expect(await w.handled('GUILD_MEMBER_UPDATE', from, userId)).toBe('member_sync_queued');
    await eventually(
      async () => rolesOf(w!, shop.guildId, userId).includes(paidRole),
      10_000,
      'the role back',
    );
    expect(await syncCauses(w, userId)).toContain(`${GATEWAY_CAUSE.memberUpdate}:add_role:ok`);
  });

  it('an enforced role given by hand to a member without a grant is taken back', async () => {
    w = await startGatewayWorld('sqlite');
    await gatewayUp(w);
    const { shop, paidRole } = await paidMember(w, { enforce: true });
    const stranger = w.discord.createUser({ username: 'stranger' }).id;
    w.discord.addMember(shop.guildId, stranger);
    const from = w.reactions.length;
    w.discord.moderatorAddsRole(shop.guildId, stranger, paidRole);
    expect(await w.handled('GUILD_MEMBER_UPDATE', from, stranger)).toBe('member_sync_queued');
    await eventually(
      async () => !rolesOf(w!, shop.guildId, stranger).includes(paidRole),
      10_000,
      'the role gone',
    );
    expect(await syncCauses(w, stranger)).toContain(`${GATEWAY_CAUSE.memberUpdate}:remove_role:ok`);
  });

  it('a managed role moved above the bot pauses the server at once, with the fix in words', async () => {
    w = await startGatewayWorld('sqlite');
    await gatewayUp(w);
    const { shop, paidRole } = await paidMember(w);
    const from = w.reactions.length;
    w.discord.moveRoleAboveBot(shop.guildId, paidRole);
    expect(await w.handled('GUILD_ROLE_UPDATE', from)).toBe('server_check_queued');
    const health = await eventually(
      async () => {
        const h = await serverHealth(w!.ctx, shop.serverId);
        return h.status === 'paused' ? h : null;
      },
      10_000,
      'the server to pause',
    );
    expect(health.pause_reason).toMatch(/above|higher|bot/i);
    expect(health.roles.find((r) => r.role_id === paidRole)?.grantable).toBe(false);
    expect(health.gateway).toMatchObject({ status: 'connected', member_events: true });
  });

  it('the bot removed pauses the server; added back, the server heals by itself', async () => {
    w = await startGatewayWorld('sqlite');
    await gatewayUp(w);
    const { shop } = await paidMember(w);
    let from = w.reactions.length;
    w.discord.removeBot(shop.guildId);
    expect(await w.handled('GUILD_DELETE', from)).toBe('paused');
    const paused = await serverHealth(w.ctx, shop.serverId);
    expect(paused).toMatchObject({ status: 'paused', pause_reason: BOT_REMOVED_REASON });

    // Added back, the bot's fresh role sits at the bottom (as on Discord): still paused, now for that.
    from = w.reactions.length;
    w.discord.addBot(shop.guildId);
    expect(await w.handled('GUILD_CREATE', from)).toBe('server_check_queued');
    await eventually(
      async () => (await serverHealth(w!.ctx, shop.serverId)).pause_reason !== BOT_REMOVED_REASON,
      10_000,
      'the pause reason to follow the new setup',
    );
    expect((await serverHealth(w.ctx, shop.serverId)).status).toBe('paused');
    // The merchant drags the bot's role to the top: the role event heals the server.
    const botRole = w.discord.listRoles(shop.guildId).find((r) => r.managed)!;
    w.discord.moveRole(shop.guildId, botRole.id, w.discord.listRoles(shop.guildId).length - 1);
    await eventually(
      async () => (await serverHealth(w!.ctx, shop.serverId)).status === 'active',
      10_000,
      'the server to resume',
    );
  });

  it('without the Server Members intent it connects for guild events only and says member repairs wait for reconcile', async () => {
    w = await startGatewayWorld('sqlite', { localDiscord: { membersIntent: false } });
    await gatewayUp(w, 'no_members_intent');
    const shop = await newShop(w, 1, false);
    await entitlement(w, shop, [shop.roles[0]!]);
    const health = await serverHealth(w.ctx, shop.serverId);
    expect(health.gateway.status).toBe('no_members_intent');
    expect(health.gateway.member_events).toBe(false);
    expect(health.gateway.detail).toMatch(
      /Server Members Intent.*reconcile|reconcile.*Server Members Intent/s,
    );
    // Role changes still arrive without the intent.
    const from = w.reactions.length;
    w.discord.moveRoleAboveBot(shop.guildId, shop.roles[0]!);
    expect(await w.handled('GUILD_ROLE_UPDATE', from)).toBe('server_check_queued');
  });

  it('GATEWAY=off starts no listener and the health says drift waits for reconcile', async () => {
    w = await startGatewayWorld('sqlite', { env: { GATEWAY: 'off' } });
    expect(w.app.gateway).toBeNull();
    const shop = await newShop(w, 1);
    const health = await serverHealth(w.ctx, shop.serverId);
    expect(health.gateway).toMatchObject({ status: 'off', member_events: false });
    expect(w.discord.gateway.sessions()).toEqual([]);
  });
});
