import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { eventually } from '../helpers/app.js';
import { inTransaction } from '../../src/app/shared/context.js';
import { enqueueMemberCheck } from '../../src/app/grants/grants.js';
import { mutating, startHarness, type Harness } from './harness.js';

const pgReason = await postgresUnavailable();

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`member sync against the local Discord [${dialect}]`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    it('delivers a grant to a buyer in the server with one PUT naming the grant, and no invalid request', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'buyer' }).id;
      h.discord.addMember(h.guildId, buyer);
      h.discord.resetCounters();
      const ent = await h.entitlement([h.gold]);
      const g = await h.grant(ent, buyer);
      await h.waitStatus(g.id, 'delivered');
      expect(h.memberRoles(buyer)).toEqual([h.gold]);
      const puts = mutating(h.discord);
      expect(puts.map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 204']);
      expect(puts[0]?.auditLogReason).toContain(g.id);
      expect(puts[0]?.auditLogReason).not.toContain('@');
      expect(h.discord.invalidRequestCount).toBe(0);
    });

    it('adds a linked buyer who is not in the server through guilds.join (201) with the roles', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'newcomer' }).id;
      const ent = await h.entitlement([h.gold, h.silver]);
      // Link first (a grant for an unlinked buyer outside the server fails, owned by the customer).
      const customer = await h.t.api('/api/grants', {
        method: 'POST',
        body: { entitlement_id: ent, discord_user_id: buyer },
      });
      await h.waitStatus(customer.body.id, 'failed');
      expect((await h.grantRow(customer.body.id)).last_error_owner).toBe('customer');
      await h.link(customer.body.customer_id, buyer);
      h.discord.resetCounters();
      await h.t.api(`/api/grants/${customer.body.id}/retry`, { method: 'POST' });
      await h.waitStatus(customer.body.id, 'delivered');
      expect(new Set(h.memberRoles(buyer))).toEqual(new Set([h.gold, h.silver]));
      // No read first: the role PUT answers Unknown Member (404, not an invalid request), then the join.
      expect(h.discord.requestLog.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
        'PUT /guilds/:guildId/members/:userId/roles/:roleId 404',
        'PUT /guilds/:guildId/members/:userId 201',
      ]);
      expect(h.discord.invalidRequestCount).toBe(0);
    });

    it('gives the roles one by one when Add Guild Member answers 204 (already a member)', async () => {
      let racing = false;
      h = await startHarness(dialect, {
        // The buyer joins between our role PUT (Unknown Member) and our join.
        wrap: (port) => ({
          ...bindAll(port),
          addRole: async (guildId, userId, roleId, reason) => {
            const outcome = await port.addRole(guildId, userId, roleId, reason);
            if (racing && outcome === 'not_member') {
              racing = false;
              h?.discord.addMember(guildId, userId);
            }
            return outcome;
          },
        }),
      });
      const buyer = h.discord.createUser({ username: 'racer' }).id;
      const ent = await h.entitlement([h.gold]);
      const customer = await h.t.api('/api/grants', {
        method: 'POST',
        body: { entitlement_id: ent, discord_user_id: buyer },
      });
      await h.waitStatus(customer.body.id, 'failed');
      await h.link(customer.body.customer_id, buyer);
      await h.settled();
      racing = true;
      h.discord.resetCounters();
      await h.t.api(`/api/grants/${customer.body.id}/retry`, { method: 'POST' });
      await h.waitStatus(customer.body.id, 'delivered');
      await h.settled();
      expect(h.memberRoles(buyer)).toEqual([h.gold]);
      expect(mutating(h.discord).map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
        'PUT /guilds/:guildId/members/:userId/roles/:roleId 404',
        'PUT /guilds/:guildId/members/:userId 204',
        'PUT /guilds/:guildId/members/:userId/roles/:roleId 204',
      ]);
      expect(h.discord.invalidRequestCount).toBe(0);
    });

    it('a "check my roles" sync reads the member and repairs a role a moderator took away', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'checker' }).id;
      h.discord.addMember(h.guildId, buyer);
      const grant = await h.grant(await h.entitlement([h.gold]), buyer);
      await h.waitStatus(grant.id, 'delivered');
      await h.settled();
      h.discord.setMemberRoles(h.guildId, buyer, []);
      h.discord.resetCounters();
      const ctx = h.t.app.ctx;
      await inTransaction(ctx, (tx) => enqueueMemberCheck(tx, h!.serverId, buyer, 'test'));
      await eventually(async () => h?.memberRoles(buyer)?.includes(h.gold));
      await h.settled();
      expect(h.discord.requestLog.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
        'GET /guilds/:guildId/members/:userId 200',
        'PUT /guilds/:guildId/members/:userId/roles/:roleId 204',
      ]);
    });

    it('revoking one of two grants keeps the shared role; revoking both removes it', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'twice' }).id;
      h.discord.addMember(h.guildId, buyer);
      const a = await h.grant(await h.entitlement([h.gold]), buyer);
      const b = await h.grant(await h.entitlement([h.gold, h.silver]), buyer);
      await h.waitStatus(a.id, 'delivered');
      await h.waitStatus(b.id, 'delivered');
      await h.settled();
      expect(new Set(h.memberRoles(buyer))).toEqual(new Set([h.gold, h.silver]));

      await h.t.api(`/api/grants/${b.id}/revoke`, { method: 'POST' });
      await eventually(async () => !h?.memberRoles(buyer)?.includes(h.silver));
      await h.settled();
      expect(h.memberRoles(buyer)).toEqual([h.gold]);

      await h.t.api(`/api/grants/${a.id}/revoke`, { method: 'POST' });
      await eventually(async () => h?.memberRoles(buyer)?.length === 0);
      expect(h.discord.invalidRequestCount).toBe(0);
    });

    it('a renewal or a repeated sync costs no Discord call at all and writes no sync log', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'renewer' }).id;
      h.discord.addMember(h.guildId, buyer);
      const g = await h.grant(await h.entitlement([h.gold], { access: { kind: 'days', days: 30 } }), buyer);
      await h.waitStatus(g.id, 'delivered');
      await h.settled();
      const logBefore = await h.t.app.ctx.db.kysely.selectFrom('sync_log').selectAll().execute();
      h.discord.resetCounters();
      expect(
        (await h.t.api(`/api/grants/${g.id}/extend`, { method: 'POST', body: { days: 30 } })).status,
      ).toBe(200);
      // The renewal queued a sync (in its transaction); once it ran, Discord heard nothing: the grant
      // already gave the role.
      await h.settled();
      expect(h.discord.requestLog).toEqual([]);
      expect(await h.t.app.ctx.db.kysely.selectFrom('sync_log').selectAll().execute()).toEqual(logBefore);
      expect((await h.grantRow(g.id)).status).toBe('delivered');
    });

    it('changing an entitlement’s roles reaches existing holders, both ways', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'holder' }).id;
      h.discord.addMember(h.guildId, buyer);
      const ent = await h.entitlement([h.gold]);
      const g = await h.grant(ent, buyer);
      await h.waitStatus(g.id, 'delivered');
      await h.settled();
      await h.t.api(`/api/entitlements/${ent}`, { method: 'PATCH', body: { role_ids: [h.gold, h.silver] } });
      await eventually(async () => h?.memberRoles(buyer)?.includes(h.silver), 10_000, 'silver added');
      await h.settled();
      await h.t.api(`/api/entitlements/${ent}`, { method: 'PATCH', body: { role_ids: [h.silver] } });
      await eventually(async () => !h?.memberRoles(buyer)?.includes(h.gold), 10_000, 'gold removed');
      await h.settled();
      expect(h.memberRoles(buyer)).toEqual([h.silver]);
      expect(h.discord.invalidRequestCount).toBe(0);
    });
  });
}

/** A plain object whose methods are the port's, bound (so a test can override one). */
function bindAll<T extends object>(port: T): T {
  const out: Record<string, unknown> = {};
  let proto: object | null = port;
  while (proto && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = (port as Record<string, unknown>)[key];
      if (key !== 'constructor' && typeof value === 'function' && !(key in out))
        out[key] = (value as (...args: unknown[]) => unknown).bind(port);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return out as T;
}
