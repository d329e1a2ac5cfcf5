import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { eventually } from '../helpers/app.js';
import { startHarness, type Harness } from './harness.js';

const pgReason = await postgresUnavailable();

/** `granted_role_ids` of a grant as the API shows it. */
async function grantedRoles(h: Harness, grantId: string): Promise<string[]> {
  const res = await h.t.api(`/api/grants/${grantId}`);
  return res.body.granted_role_ids as string[];
}

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`granted_role_ids follows what a grant still holds [${dialect}]`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    /** A buyer in the server with a delivered grant of a Gold entitlement (`settings`: more of its fields). */
    async function deliveredGrant(settings: (h: Harness) => Record<string, unknown> = () => ({})) {
      const harness = await startHarness(dialect);
      h = harness;
      const buyer = harness.discord.createUser({ username: 'buyer' }).id;
      harness.discord.addMember(harness.guildId, buyer);
      const ent = await harness.entitlement([harness.gold], settings(harness));
      const g = await harness.grant(ent, buyer);
      await harness.waitStatus(g.id, 'delivered');
      expect(await grantedRoles(harness, g.id)).toEqual([harness.gold]);
      const revoke = () => harness.t.api(`/api/grants/${g.id}/revoke`, { method: 'POST', body: {} });
      return { h: harness, buyer, ent, g, revoke };
    }

    it('a revoke that removed the roles leaves the grant holding none', async () => {
      const { h, buyer, g, revoke } = await deliveredGrant();
      expect((await revoke()).status).toBe(200);
      await eventually(async () => (await grantedRoles(h, g.id)).length === 0, 10_000, 'roles cleared');
      expect(h.memberRoles(buyer)).toEqual([]);
      expect(await h.grantRow(g.id)).toMatchObject({ status: 'revoked' });
    });

    it('revoking one of two grants that give the same role: the member keeps it, the revoked grant holds nothing', async () => {
      const { h, buyer, ent, g, revoke } = await deliveredGrant();
      const other = await h.grant(ent, buyer);
      await h.waitStatus(other.id, 'delivered');
      await revoke();
      await eventually(async () => (await grantedRoles(h, g.id)).length === 0, 10_000, 'roles cleared');
      await h.settled();
      expect(h.memberRoles(buyer)).toEqual([h.gold]);
      expect(await grantedRoles(h, other.id)).toEqual([h.gold]);
    });

    it('revoke action "keep": the member keeps the role and the grant still lists it', async () => {
      const { h, buyer, g, revoke } = await deliveredGrant(() => ({ revoke_action: 'keep' }));
      await revoke();
      await h.settled();
      expect(h.memberRoles(buyer)).toEqual([h.gold]);
      expect(await grantedRoles(h, g.id)).toEqual([h.gold]);
    });

    it('revoke action "swap": the grant lists the fallback role it gave instead', async () => {
      const { h, buyer, g, revoke } = await deliveredGrant((harness) => ({
        revoke_action: 'swap',
        fallback_role_id: harness.silver,
      }));
      await revoke();
      await eventually(
        async () => JSON.stringify(await grantedRoles(h, g.id)) === JSON.stringify([h.silver]),
        10_000,
        'the fallback role recorded',
      );
      expect(h.memberRoles(buyer)).toEqual([h.silver]);
    });
  });
}
