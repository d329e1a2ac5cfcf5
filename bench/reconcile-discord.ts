/**
 * The local Discord for bench/reconcile.ts, in its own process: Discord is a remote service, so
 * its CPU (serving 100,000-member pages) and memory (100,000 users) must not be charged to
 * Rolegate's wall time and RSS. Seeding still writes the local Discord's state directly (no HTTP).
 * Driven over IPC by the parent: seed → reset → stats → close.
 */
import { startLocalDiscord } from '@rolegate/local-discord';

export interface SeedRequest {
  cmd: 'seed';
  members: number;
  grants: number;
  roles: number;
  /** Buyers (the first ones) whose paid role is missing. */
  driftedBuyers: number;
  /** Non-buyers holding role 0 by hand. */
  handGiven: number;
}

export interface Seeded {
  apiBaseUrl: string;
  botToken: string;
  applicationId: string;
  guildId: string;
  roles: string[];
  /** User id of buyer i (grant i). */
  buyers: string[];
}

export interface DiscordStats {
  listCalls: number;
  roleCalls: number;
  otherCalls: number;
  limited: number;
  invalid: number;
  /** Time the local Discord spent serving list pages (it is single-threaded: other calls wait meanwhile). */
  listServiceMs: number;
  rss: number;
}

type Request = SeedRequest | { cmd: 'reset' } | { cmd: 'stats' } | { cmd: 'close' };

const discord = await startLocalDiscord();
const send = (m: unknown) => process.send?.(m);

process.on('message', (m: Request) => {
  switch (m.cmd) {
    case 'seed': {
      const guild = discord.createGuild({ name: 'Big Server' });
      const roles = Array.from(
        { length: m.roles },
        (_, i) => discord.createRole(guild.id, { name: `Tier ${i}` }).id,
      );
      const buyers: string[] = [];
      for (let i = 0; i < m.members; i++) {
        const userId = discord.createUser({ username: `m${i}` }).id;
        if (i < m.grants) {
          buyers.push(userId);
          discord.addMember(guild.id, userId, i < m.driftedBuyers ? [] : [roles[i % m.roles] ?? '']);
        } else discord.addMember(guild.id, userId, i < m.grants + m.handGiven ? [roles[0] ?? ''] : []);
      }
      const seeded: Seeded = {
        apiBaseUrl: discord.apiBaseUrl,
        botToken: discord.botToken,
        applicationId: discord.applicationId,
        guildId: guild.id,
        roles,
        buyers,
      };
      send(seeded);
      break;
    }
    case 'reset':
      discord.resetCounters();
      discord.resetRateLimits();
      send({ ok: true });
      break;
    case 'stats': {
      const log = discord.requestLog;
      const list = log.filter((r) => r.route === '/guilds/:guildId/members' && r.method === 'GET');
      const roleCalls = log.filter(
        (r) => r.route === '/guilds/:guildId/members/:userId/roles/:roleId',
      ).length;
      const stats: DiscordStats = {
        listCalls: list.length,
        roleCalls,
        otherCalls: log.length - list.length - roleCalls,
        limited: log.filter((r) => r.status === 429).length,
        invalid: discord.invalidRequestCount,
        listServiceMs: list.reduce((s, r) => s + r.durationMs, 0),
        rss: process.memoryUsage().rss,
      };
      if (process.env.BENCH_DEBUG)
        // which requests met a 429, and when
        console.error(
          log
            .filter((r) => r.status === 429)
            .map((r) => ({ route: r.route, scope: r.rateLimitScope, at: r.at, i: log.indexOf(r) })),
          log.slice(0, 4).map((r) => [r.route, r.at]),
        );
      send(stats);
      break;
    }
    case 'close':
      void discord.close().then(() => process.exit(0));
      break;
  }
});
send({ ready: true });
