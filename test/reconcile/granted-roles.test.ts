import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { inTransaction } from '../../src/app/shared/context.js';
import { applyGrantEvent } from '../../src/app/grants/grants.js';
import { reconcileServer } from '../../src/app/access/reconcile.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { buyer, drain, entitlement, grant, newShop, startWorld, type Shop, type World } from './world.js';

// After reconcile adds or removes a member's roles, each grant of that member lists what it gives
// or still holds (`granted_role_ids`), as member sync keeps it (decisions 0010, 0023).

const pgReason = await postgresUnavailable();

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`reconcile keeps granted_role_ids true [${dialect}]`, () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld(dialect);
    });
    afterAll(() => w.stop());

    const row = (id: string) =>
      w.ctx.db.kysely.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const granted = async (id: string) => JSON.parse((await row(id)).granted_role_ids) as string[];
    const roles = (shop: Shop, userId: string) => [
      ...(w.discord.getMember(shop.guildId, userId)?.roles ?? []),
    ];
    const updatedHooks = (grantId: string) =>
      w.ctx.db.kysely
        .selectFrom('webhook_deliveries')
        .select('payload')
        .where('event_type', '=', 'entitlement_grant.updated')
        .where('payload', 'like', `%${grantId}%`)
        .execute();

    beforeAll(async () => {
      // An endpoint, so the `updated` events reconcile emits are written (and can be counted).
      const now = Date.now();
      await w.ctx.db.kysely
        .insertInto('webhook_endpoints')
        .values({
          id: `whe_granted${now}`,
          url: 'http://127.0.0.1:9/hook',
          description: '',
          secret_enc: w.ctx.secrets.encrypt('whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0'),
          event_types: '[]',
          enabled: 1,
          disabled_reason: null,
          failing_since: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    });

    async function delivered(roleCount = 1) {
      const shop = await newShop(w, 2);
      const ent = await entitlement(w, shop, shop.roles.slice(0, roleCount), { enforce: true });
      const b = await buyer(w, shop);
      const id = await grant(w, ent, b.customerId);
      await drain(w);
      expect(await row(id)).toMatchObject({ status: 'delivered' });
      return { shop, ent, b, id };
    }

    it('a role added to the entitlement after delivery: reconcile gives it, and the grant lists it', async () => {
      const { shop, ent, b, id } = await delivered();
      const [r0, r1] = shop.roles as [string, string];
      expect(await granted(id)).toEqual([r0]);
      await w.ctx.db.kysely
        .updateTable('entitlements')
        .set({ role_ids: JSON.stringify([r0, r1]) })
        .where('id', '=', ent)
        .execute();
      const hooksBefore = (await updatedHooks(id)).length;

      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(report.drift).toEqual([{ userId: b.userId, add: [r1], remove: [] }]);
      expect(roles(shop, b.userId).sort()).toEqual([r0, r1].sort());
      expect(await granted(id)).toEqual([r0, r1].sort());
      const hooks = await updatedHooks(id);
      expect(hooks).toHaveLength(hooksBefore + 1);
      expect(JSON.parse(hooks.at(-1)!.payload).data.granted_role_ids).toEqual([r0, r1].sort());
    });

    it('a revoked grant whose role reconcile removes (its member sync has not run yet) lists none', async () => {
      const { shop, b, id } = await delivered();
      await inTransaction(w.ctx, (tx) => applyGrantEvent(w.ctx, tx, id, 'revoke', { cause: 'test' }));
      expect(await granted(id)).toEqual([shop.roles[0]]);

      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(report.drift).toEqual([{ userId: b.userId, add: [], remove: [shop.roles[0]] }]);
      expect(roles(shop, b.userId)).toEqual([]);
      expect(await granted(id)).toEqual([]);
      await drain(w);
    });

    it('a role a moderator took away and reconcile gave back: the grant still lists it, and nothing is emitted', async () => {
      const { shop, b, id } = await delivered();
      w.discord.setMemberRoles(shop.guildId, b.userId, []);
      const hooksBefore = (await updatedHooks(id)).length;
      await reconcileServer(w.ctx, shop.serverId);
      expect(roles(shop, b.userId)).toEqual([shop.roles[0]]);
      expect(await granted(id)).toEqual([shop.roles[0]]);
      expect(await updatedHooks(id)).toHaveLength(hooksBefore);
    });

    it('a removal that fails leaves the grant as it was (member sync records it once it succeeds)', async () => {
      const { shop, b, id } = await delivered();
      await inTransaction(w.ctx, (tx) => applyGrantEvent(w.ctx, tx, id, 'revoke', { cause: 'test' }));
      w.discord.faults.next({ status: 500, count: 1, match: { pathIncludes: `${b.userId}/roles` } });
      const report = await reconcileServer(w.ctx, shop.serverId);
      expect(report.failed).toBe(1);
      expect(await granted(id)).toEqual([shop.roles[0]]);
      w.discord.faults.clear();
      await drain(w);
      expect(await granted(id)).toEqual([]);
    });
  });
}
