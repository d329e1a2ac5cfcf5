import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/adapters/store/db.js';
import { backends } from '../helpers/backends.js';
import { postgresUnavailable } from '../helpers/db.js';
import { eventually } from '../helpers/app.js';
import { mutating, startHarness, type Harness } from './harness.js';

const pgReason = await postgresUnavailable();

/** Puts a role at or above the bot's role (as a merchant dragging it up in Server Settings → Roles would). */
function moveAboveBot(h: Harness, roleId: string) {
  const botTop = h.discord.listRoles(h.guildId).find((r) => r.id === h.botRoleId)?.position ?? 0;
  h.discord.setRolePosition(h.guildId, roleId, botTop + 1);
}
function moveBelowBot(h: Harness, roleId: string) {
  h.discord.setRolePosition(h.guildId, roleId, 1);
}

async function server(h: Harness) {
  return h.t.app.ctx.db.kysely
    .selectFrom('servers')
    .selectAll()
    .where('id', '=', h.serverId)
    .executeTakeFirstOrThrow();
}

for (const dialect of backends as Dialect[]) {
  const suite = dialect === 'postgres' && pgReason ? describe.skip : describe;
  suite(`merchant failures, healing and retries [${dialect}]`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    it('a role moved above the bot fails the grant (merchant), pauses the server, then heals to delivered by itself', async () => {
      h = await startHarness(dialect);
      const first = h.discord.createUser({ username: 'first' }).id;
      const second = h.discord.createUser({ username: 'second' }).id;
      h.discord.addMember(h.guildId, first);
      h.discord.addMember(h.guildId, second);
      const ent = await h.entitlement([h.gold]);
      moveAboveBot(h, h.gold); // after the entitlement was saved: our snapshot is stale
      h.discord.resetCounters();

      const a = await h.grant(ent, first);
      await h.waitStatus(a.id, 'failed');
      expect(await h.grantRow(a.id)).toMatchObject({
        last_error_owner: 'merchant',
        last_error_code: 'missing_permissions',
      });
      const paused = await server(h);
      expect(paused.status).toBe('paused');
      expect(paused.pause_reason).toMatch(/Manage Roles.*Server Settings → Roles/);
      expect(h.discord.invalidRequestCount).toBe(1);

      // While paused, another sale makes no Discord call at all: no 403 loop.
      const before = h.discord.requestLog.length;
      const b = await h.grant(ent, second);
      await h.waitStatus(b.id, 'failed');
      await h.settled();
      expect((await h.grantRow(b.id)).last_error_owner).toBe('merchant');
      expect(h.discord.requestLog.length).toBe(before);

      // Still broken: the heal task looks (three GETs), stays paused, and calls nothing that fails.
      await h.runHeal();
      await h.settled();
      expect((await server(h)).pause_reason).toMatch(/Move the .* role above "Gold"/);
      expect(h.discord.invalidRequestCount).toBe(1);

      // The merchant fixes the order in Discord; nobody clicks retry.
      moveBelowBot(h, h.gold);
      await h.runHeal();
      await h.waitStatus(a.id, 'delivered');
      await h.waitStatus(b.id, 'delivered');
      expect(h.memberRoles(first)).toEqual([h.gold]);
      expect(h.memberRoles(second)).toEqual([h.gold]);
      expect((await server(h)).status).toBe('active');
      expect(h.discord.invalidRequestCount).toBe(1);
    });

    it('after a refresh shows the role above the bot, syncs fail without calling Discord and the health says what to fix', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'buyer' }).id;
      h.discord.addMember(h.guildId, buyer);
      const ent = await h.entitlement([h.gold]);
      moveAboveBot(h, h.gold);
      const refreshed = await h.t.api(`/api/servers/${h.serverId}/refresh`, { method: 'POST' });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.health.healthy).toBe(false);
      expect(refreshed.body.health.roles).toEqual([
        expect.objectContaining({
          role_id: h.gold,
          grantable: false,
          problem: expect.objectContaining({ code: 'role_above_bot' }),
        }),
      ]);
      h.discord.resetCounters();

      const g = await h.grant(ent, buyer);
      await h.waitStatus(g.id, 'failed');
      await h.settled();
      expect(await h.grantRow(g.id)).toMatchObject({
        last_error_owner: 'merchant',
        last_error_code: 'role_above_bot',
      });
      expect(mutating(h.discord)).toEqual([]);
      expect(h.discord.invalidRequestCount).toBe(0);

      moveBelowBot(h, h.gold);
      await h.runHeal();
      await h.waitStatus(g.id, 'delivered');
      const health = await h.t.api(`/api/servers/${h.serverId}`);
      expect(health.body).toMatchObject({ status: 'active', pause_reason: null, health: { healthy: true } });
      expect(h.discord.invalidRequestCount).toBe(0);
    });

    it('waits out a 429 with Retry-After and then delivers', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'patient' }).id;
      h.discord.addMember(h.guildId, buyer);
      const ent = await h.entitlement([h.gold]);
      h.discord.resetCounters();
      h.discord.faults.next({
        status: 429,
        retryAfterSeconds: 1,
        match: { method: 'PUT', pathIncludes: '/roles/' },
      });
      const g = await h.grant(ent, buyer);
      await h.waitStatus(g.id, 'delivered');
      const puts = mutating(h.discord);
      expect(puts.map((r) => r.status)).toEqual([429, 204]);
      expect(puts[1]!.at - puts[0]!.at).toBeGreaterThanOrEqual(950);
    });

    it('reschedules the job for the Retry-After time when the wait is too long to hold a worker', async () => {
      h = await startHarness(dialect, { adapter: { maxInlineRateLimitWaitMs: 100 } });
      const buyer = h.discord.createUser({ username: 'later' }).id;
      h.discord.addMember(h.guildId, buyer);
      const ent = await h.entitlement([h.gold]);
      h.discord.resetCounters();
      h.discord.faults.next({
        status: 429,
        retryAfterSeconds: 1.5,
        match: { method: 'PUT', pathIncludes: '/roles/' },
      });
      const g = await h.grant(ent, buyer);
      await h.waitStatus(g.id, 'delivered');
      const puts = mutating(h.discord);
      expect(puts.map((r) => r.status)).toEqual([429, 204]);
      expect(puts[1]!.at - puts[0]!.at).toBeGreaterThanOrEqual(1400);
      const failed = await h.t.app.ctx.db.kysely
        .selectFrom('sync_log')
        .selectAll()
        .where('outcome', '=', 'failed')
        .execute();
      expect(failed).toEqual([expect.objectContaining({ error_owner: 'retry', error_code: 'rate_limited' })]);
    });

    it('retries 5xx with job backoff until Discord recovers', async () => {
      h = await startHarness(dialect);
      const buyer = h.discord.createUser({ username: 'resilient' }).id;
      h.discord.addMember(h.guildId, buyer);
      const ent = await h.entitlement([h.gold]);
      h.discord.resetCounters();
      // The library retries once in-process (retries: 1), so three 503s fail one job attempt and
      // the next attempt, after the queue's backoff, meets one more before Discord recovers.
      h.discord.faults.next({ status: 503, count: 3, match: { method: 'PUT', pathIncludes: '/roles/' } });
      const g = await h.grant(ent, buyer);
      await h.waitStatus(g.id, 'delivered', 15_000);
      expect(mutating(h.discord).map((r) => r.status)).toEqual([503, 503, 503, 204]);
      const log = await h.t.app.ctx.db.kysely.selectFrom('sync_log').selectAll().orderBy('id').execute();
      expect(log.map((r) => `${r.action}:${r.outcome}:${r.error_code ?? ''}`)).toEqual([
        'add_role:failed:discord_unavailable',
        'add_role:ok:',
      ]);
      expect(h.memberRoles(buyer)).toEqual([h.gold]);
      await eventually(async () => (await h!.grantRow(g.id)).last_error_code === null);
    });
  });
}
