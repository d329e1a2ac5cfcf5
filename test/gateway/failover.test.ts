import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_LEASE } from '../../src/app/access/store/gateway-lease.js';
import { eventually } from '../helpers/app.js';
import { postgresUnavailable } from '../helpers/db.js';
import { killAll, startRolegateProcess, type RolegateProcess } from '../jobs/fixtures/processes.js';
import { buyer, drain, entitlement, grant, newShop, startWorld, type World } from '../reconcile/world.js';

// Several instances sharing one lease is the PostgreSQL deployment; SQLite runs one process.
const skip = await postgresUnavailable();
const title = 'the gateway leader across two worker processes on PostgreSQL';

(skip ? describe.skip : describe)(skip ? `${title} (skipped: ${skip})` : title, () => {
  let w: World;
  let workers: RolegateProcess[] = [];

  beforeAll(async () => {
    w = await startWorld('postgres');
    const env = {
      DISCORD_API_URL: w.discord.apiBaseUrl,
      DISCORD_BOT_TOKEN: w.discord.botToken,
      DISCORD_APPLICATION_ID: w.discord.applicationId,
      DISCORD_CLIENT_SECRET: w.discord.clientSecret,
      // Shorter than the defaults (10 s / 2 s) so the test is quick; bench/gateway-failover.ts uses the defaults.
      ROLEGATE_TEST_GATEWAY_LEASE_MS: '3000',
      ROLEGATE_TEST_GATEWAY_RENEW_MS: '500',
    };
    const url = w.ctx.config.DATABASE_URL;
    workers = [
      startRolegateProcess('worker', 'worker-a', url, env),
      startRolegateProcess('worker', 'worker-b', url, env),
    ];
    await Promise.all(workers.map((p) => p.ready));
  }, 60_000);

  afterAll(async () => {
    await killAll(workers);
    await w?.stop();
  });

  const lease = () =>
    w.ctx.db.kysely
      .selectFrom('gateway_leases')
      .selectAll()
      .where('name', '=', GATEWAY_LEASE)
      .executeTakeFirst();
  const connectedSessions = () => w.discord.gateway.sessions().filter((s) => s.connected);

  it('one process holds the only connection; killed, the other takes over and repairs a rejoin', async () => {
    const shop = await newShop(w, 1);
    const role = shop.roles[0]!;
    const ent = await entitlement(w, shop, [role]);
    const b = await buyer(w, shop);
    await grant(w, ent, b.customerId);
    await drain(w);
    // The worker processes may have claimed the delivery before this drain did.
    await eventually(
      async () => w.discord.getMember(shop.guildId, b.userId)?.roles.includes(role),
      15_000,
      'the delivery',
    );

    const first = await eventually(
      async () => {
        const row = await lease();
        return row?.status === 'connected' && row.expires_at > Date.now() ? row : null;
      },
      20_000,
      'a leader to connect',
    );
    const leader = workers.find((p) => p.gatewayId() === first.holder)!;
    const follower = workers.find((p) => p !== leader)!;
    expect(leader).toBeDefined();
    expect(connectedSessions()).toHaveLength(1);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    const taken = await eventually(
      async () => {
        const row = await lease();
        return row?.holder === follower.gatewayId() && row.status === 'connected' ? row : null;
      },
      20_000,
      'the other process to take over',
    );
    console.log(`gateway takeover after SIGKILL: ${Date.now() - killedAt} ms (lease 3 s, renew 0.5 s)`);
    expect(taken.holder).not.toBe(first.holder);
    await eventually(async () => connectedSessions().length === 1, 10_000, 'one connection');

    w.discord.memberLeaves(shop.guildId, b.userId);
    w.discord.memberRejoins(shop.guildId, b.userId);
    await eventually(
      async () => w.discord.getMember(shop.guildId, b.userId)?.roles.includes(role),
      15_000,
      'the new leader to give the role back',
    ).catch(async (err: unknown) => {
      const jobs = await w.ctx.db.kysely.selectFrom('jobs').selectAll().execute();
      console.log(JSON.stringify(jobs, null, 1), follower.output());
      throw err;
    });
  }, 90_000);
});
