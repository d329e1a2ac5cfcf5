import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { healPausedServers } from '../../src/app/access/heal.js';
import { reconcileServer } from '../../src/app/access/reconcile.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { buyer, drain, entitlement, grant, newShop, startWorld, type Shop, type World } from './world.js';

const pgReason = await postgresUnavailable();

const LIST_ROUTE = '/guilds/:guildId/members';
const ROLE_ROUTE = '/guilds/:guildId/members/:userId/roles/:roleId';

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`reconcile a server [${dialect}]`, () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld(dialect);
    });
    afterAll(async () => {
      await w.stop();
    });

    const roles = (shop: Shop, userId: string) =>
      [...(w.discord.getMember(shop.guildId, userId)?.roles ?? [])].sort();
    const requests = (guildId: string, route: string, method?: string) =>
      w.discord.requestLog.filter(
        (r) => r.route === route && r.path.includes(guildId) && (method === undefined || r.method === method),
      );
    const serverRow = (shop: Shop) =>
      w.ctx.db.kysely
        .selectFrom('servers')
        .selectAll()
        .where('id', '=', shop.serverId)
        .executeTakeFirstOrThrow();
    const reconcileLog = (shop: Shop) =>
      w.ctx.db.kysely
        .selectFrom('sync_log')
        .selectAll()
        .where('server_id', '=', shop.serverId)
        .where('cause', '=', 'reconcile')
        .execute();

    /** A shop with one entitlement of `roleIds` and `n` buyers whose grants were delivered. */
    async function shopWithBuyers(n: number, options: { enforce?: boolean } = {}) {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? ''], options);
      const buyers = [];
      for (let i = 0; i < n; i++) {
        const b = await buyer(w, shop);
        await grant(w, ent, b.customerId);
        buyers.push(b);
      }
      await drain(w);
      return { shop, ent, buyers };
    }

    it('gives back a paid role a moderator removed, with one list call and one PUT', async () => {
      const { shop, buyers } = await shopWithBuyers(2);
      const [a, b] = buyers;
      if (!a || !b) throw new Error('setup');
      expect(roles(shop, a.userId)).toEqual([shop.roles[0]]);
      w.discord.setMemberRoles(shop.guildId, a.userId, []);
      w.discord.resetCounters();
      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(roles(shop, a.userId)).toEqual([shop.roles[0]]);
      expect(report.drift).toEqual([{ userId: a.userId, add: [shop.roles[0]], remove: [] }]);
      expect(report).toMatchObject({
        outcome: 'done',
        listCalls: 1,
        writeCalls: 1,
        memberReads: 0,
        repaired: 1,
      });
      expect(requests(shop.guildId, LIST_ROUTE, 'GET')).toHaveLength(1);
      expect(requests(shop.guildId, ROLE_ROUTE).map((r) => r.method)).toEqual(['PUT']);
      expect(requests(shop.guildId, ROLE_ROUTE)[0]?.auditLogReason).toContain('reconcile');
      const log = await reconcileLog(shop);
      expect(log.map((l) => [l.discord_user_id, l.action, l.role_id, l.outcome])).toEqual([
        [a.userId, 'add_role', shop.roles[0], 'ok'],
      ]);
      expect(w.discord.invalidRequestCount).toBe(0);
    });

    it('removes a managed role handed out by hand when its entitlement enforces roles', async () => {
      const { shop } = await shopWithBuyers(1, { enforce: true });
      const stranger = w.discord.createUser({ username: 'stranger' }).id;
      w.discord.addMember(shop.guildId, stranger, [shop.roles[0] ?? '']);
      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(report.drift).toEqual([{ userId: stranger, add: [], remove: [shop.roles[0]] }]);
      expect(roles(shop, stranger)).toEqual([]);
      expect((await reconcileLog(shop)).map((l) => l.action)).toEqual(['remove_role']);
    });

    it('leaves a hand-given managed role alone when its entitlement does not enforce roles', async () => {
      const { shop } = await shopWithBuyers(1);
      const friend = w.discord.createUser({ username: 'friend' }).id;
      w.discord.addMember(shop.guildId, friend, [shop.roles[0] ?? '']);
      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(report.drift).toEqual([]);
      expect(report.writeCalls).toBe(0);
      expect(roles(shop, friend)).toEqual([shop.roles[0]]);
    });

    it('gives a buyer who left and rejoined their roles back', async () => {
      const { shop, buyers } = await shopWithBuyers(1);
      const a = buyers[0];
      if (!a) throw new Error('setup');
      w.discord.removeMember(shop.guildId, a.userId);
      w.discord.addMember(shop.guildId, a.userId);
      expect(roles(shop, a.userId)).toEqual([]);
      await reconcileServer(w.ctx, shop.serverId);
      expect(roles(shop, a.userId)).toEqual([shop.roles[0]]);
    });

    it('queues a member sync that joins a paying buyer who is not in the server when their token is at hand', async () => {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? '']);
      const linked = await buyer(w, shop, false);
      const unlinked = await buyer(w, shop, false);
      await grant(w, ent, linked.customerId);
      await grant(w, ent, unlinked.customerId);
      await w.ctx.db.kysely.deleteFrom('jobs').execute(); // the purchase's own syncs were lost
      const redirectUri = 'http://127.0.0.1/discord/link/callback';
      const code = w.discord.authorizeCode({
        userId: linked.userId,
        scope: 'identify guilds.join',
        redirectUri,
      });
      const tokens = await w.ctx.ports.discord!.exchangeCode(code, redirectUri);
      const now = Date.now();
      await w.ctx.db.kysely
        .insertInto('discord_links')
        .values({
          customer_id: linked.customerId,
          discord_user_id: linked.userId,
          username: null,
          access_token_enc: w.ctx.secrets.encrypt(tokens.accessToken),
          refresh_token_enc: w.ctx.secrets.encrypt(tokens.refreshToken),
          token_expires_at: now + tokens.expiresIn * 1000,
          scope: tokens.scope,
          token_invalid_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(report.drift).toEqual(
        expect.arrayContaining([
          { userId: linked.userId, add: [], remove: [], join: true },
          { userId: unlinked.userId, add: [], remove: [], join: true },
        ]),
      );
      expect(report.queuedSyncs).toBe(1);
      await drain(w);
      expect(roles(shop, linked.userId)).toEqual([shop.roles[0]]);
      expect(w.discord.getMember(shop.guildId, unlinked.userId)).toBeNull();
    });

    it('falls back to one GET per buyer when the members intent is off, and remembers it', async () => {
      const { shop, buyers } = await shopWithBuyers(2);
      const [a] = buyers;
      if (!a) throw new Error('setup');
      w.discord.setMembersIntent(false);
      try {
        w.discord.setMemberRoles(shop.guildId, a.userId, []);
        w.discord.resetCounters();
        const first = await reconcileServer(w.ctx, shop.serverId);
        expect(first).toMatchObject({ membersIntent: false, listCalls: 1, memberReads: 2, writeCalls: 1 });
        expect(roles(shop, a.userId)).toEqual([shop.roles[0]]);
        expect((await serverRow(shop)).members_intent).toBe(0);
        expect((await serverRow(shop)).status).toBe('active');
        w.discord.resetCounters();
        const second = await reconcileServer(w.ctx, shop.serverId);
        // Known to be off: no more 403s spent on List Guild Members.
        expect(second).toMatchObject({ listCalls: 0, memberReads: 2, writeCalls: 0 });
        expect(w.discord.invalidRequestCount).toBe(0);
        // The merchant turns the intent on and runs the CLI, which tries the list again.
        w.discord.setMembersIntent(true);
        const third = await reconcileServer(w.ctx, shop.serverId, { retryMembersIntent: true });
        expect(third).toMatchObject({ membersIntent: true, listCalls: 1, memberReads: 0 });
        expect((await serverRow(shop)).members_intent).toBe(1);
      } finally {
        w.discord.setMembersIntent(true);
      }
    });

    it('trips the breaker instead of removing many roles: removes nothing, pauses with the reason, and stays paused through heal', async () => {
      const { shop, buyers } = await shopWithBuyers(12);
      // A bad import or bug marks every grant inactive without telling anyone.
      await w.ctx.db.kysely
        .updateTable('grants')
        .set({ active: 0 })
        .where('server_id', '=', shop.serverId)
        .execute();
      w.discord.resetCounters();
      const report = await reconcileServer(w.ctx, shop.serverId, {
        breaker: { maxRemovals: 5, maxShare: 0.5 },
      });
      expect(report).toMatchObject({
        outcome: 'breaker',
        skippedByBreaker: true,
        removals: 12,
        writeCalls: 0,
      });
      expect(requests(shop.guildId, ROLE_ROUTE)).toEqual([]);
      for (const b of buyers) expect(roles(shop, b.userId)).toEqual([shop.roles[0]]);
      const server = await serverRow(shop);
      expect(server.status).toBe('paused');
      expect(server.pause_reason).toContain('stopped before removing 12 managed roles');
      const alert = await reconcileLog(shop);
      expect(alert.map((l) => [l.error_code, l.outcome])).toEqual([['reconcile_breaker', 'skipped']]);
      expect(await w.ctx.metrics.render()).toContain('code="reconcile_breaker"');
      await healPausedServers(w.ctx);
      expect((await serverRow(shop)).status).toBe('paused');
      // A person looked at the diff and confirms: the removals go through and the server resumes.
      const confirmed = await reconcileServer(w.ctx, shop.serverId, {
        breaker: { maxRemovals: 5, maxShare: 0.5 },
        confirmRemovals: true,
      });
      expect(confirmed).toMatchObject({ outcome: 'done', writeCalls: 12 });
      expect((await serverRow(shop)).status).toBe('active');
      for (const b of buyers) expect(roles(shop, b.userId)).toEqual([]);
    });

    it('trips the breaker on the share of assignments even under the count limit', async () => {
      const { shop } = await shopWithBuyers(20);
      const holders = await w.ctx.db.kysely
        .selectFrom('grants')
        .select('id')
        .where('server_id', '=', shop.serverId)
        .limit(11)
        .execute();
      await w.ctx.db.kysely
        .updateTable('grants')
        .set({ active: 0 })
        .where(
          'id',
          'in',
          holders.map((h) => h.id),
        )
        .execute();
      const report = await reconcileServer(w.ctx, shop.serverId, {
        breaker: { maxRemovals: 50, maxShare: 0.1 },
      });
      expect(report).toMatchObject({ skippedByBreaker: true, removals: 11, assignments: 20, writeCalls: 0 });
    });

    it('heals a paused server once its setup is fixed, then repairs its drift', async () => {
      const { shop, buyers } = await shopWithBuyers(1);
      const a = buyers[0];
      if (!a) throw new Error('setup');
      const role = shop.roles[0] ?? '';
      w.discord.setRolePosition(shop.guildId, role, 100); // above the bot
      w.discord.setMemberRoles(shop.guildId, a.userId, []);
      w.discord.resetCounters();
      const broken = await reconcileServer(w.ctx, shop.serverId);
      expect(broken.outcome).toBe('paused');
      expect(broken.pauseReason).toMatch(/above/i);
      expect(broken.listCalls).toBe(0);
      expect(w.discord.invalidRequestCount).toBe(0);
      expect((await serverRow(shop)).status).toBe('paused');
      w.discord.setRolePosition(shop.guildId, role, 1);
      const healed = await reconcileServer(w.ctx, shop.serverId);
      expect(healed).toMatchObject({ outcome: 'done', healed: true, writeCalls: 1 });
      expect((await serverRow(shop)).status).toBe('active');
      expect(roles(shop, a.userId)).toEqual([role]);
    });

    it('a dry run reports the diff and changes nothing', async () => {
      const { shop, buyers } = await shopWithBuyers(2, { enforce: true });
      const [a] = buyers;
      if (!a) throw new Error('setup');
      const stranger = w.discord.createUser({ username: 'stranger' }).id;
      w.discord.addMember(shop.guildId, stranger, [shop.roles[0] ?? '']);
      w.discord.setMemberRoles(shop.guildId, a.userId, []);
      const before = await serverRow(shop);
      w.discord.resetCounters();
      const report = await reconcileServer(w.ctx, shop.serverId, { dryRun: true });
      expect(report.drift).toHaveLength(2);
      expect(report.writeCalls).toBe(0);
      expect(w.discord.requestLog.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(roles(shop, a.userId)).toEqual([]);
      expect(roles(shop, stranger)).toEqual([shop.roles[0]]);
      expect(await reconcileLog(shop)).toEqual([]);
      expect(await serverRow(shop)).toEqual(before);
    });

    it('uses exactly the minimum of calls: one list call per 1,000 members and one call per drifted role', async () => {
      const shop = await newShop(w);
      const ent = await entitlement(w, shop, [shop.roles[0] ?? '', shop.roles[1] ?? ''], { enforce: true });
      for (let i = 0; i < 2400; i++)
        w.discord.addMember(shop.guildId, w.discord.createUser({ username: `m${i}` }).id);
      const paying = [];
      for (let i = 0; i < 5; i++) {
        const b = await buyer(w, shop);
        await grant(w, ent, b.customerId);
        paying.push(b);
      }
      await drain(w);
      for (const b of paying.slice(0, 3))
        w.discord.setMemberRoles(shop.guildId, b.userId, [shop.roles[1] ?? '']);
      const stranger = w.discord.createUser({ username: 'stranger' }).id;
      w.discord.addMember(shop.guildId, stranger, [shop.roles[0] ?? '', shop.roles[1] ?? '']);
      w.discord.resetCounters();
      const report = await reconcileServer(w.ctx, shop.serverId);
      const members = 2400 + 5 + 1 + 2; // + owner and bot
      const drifted = 3 + 2;
      expect(report.membersRead).toBe(members);
      expect(report.listCalls).toBe(Math.ceil(members / 1000));
      expect(report.writeCalls).toBe(drifted);
      expect(requests(shop.guildId, LIST_ROUTE, 'GET')).toHaveLength(Math.ceil(members / 1000));
      expect(requests(shop.guildId, ROLE_ROUTE)).toHaveLength(drifted);
      // The only other requests are the health check's guild and bot-member reads.
      const others = w.discord.requestLog.filter((r) => r.route !== LIST_ROUTE && r.route !== ROLE_ROUTE);
      expect(others.map((r) => r.path.replace(/\d{15,}/g, ':id'))).toEqual(
        others.length === 3
          ? ['/api/v10/users/@me', '/api/v10/guilds/:id', '/api/v10/guilds/:id/members/:id']
          : ['/api/v10/guilds/:id', '/api/v10/guilds/:id/members/:id'],
      );
      expect(others.length).toBeLessThanOrEqual(report.healthCalls);
      expect(w.discord.requestLog.filter((r) => r.status === 429)).toEqual([]);
    });
  });
}
