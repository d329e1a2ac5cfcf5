/**
 * Member sync delivery against the local Discord with its global limit at 50 req/s.
 *
 *   npx tsx bench/member-sync.ts [grants=2000]
 *
 * Seeds one server with one role and N buyers already in the guild, then creates N active grants in
 * one burst (each queues its member sync through the outbox) and waits until every grant is
 * `delivered`. Each delivery costs one PUT role (decision 0019: no read first). Prints achieved requests/s ÷
 * the limit (target ≥ 0.9), the 429 count (target 0), the invalid-request count, and p50/p99 from
 * grant creation to the role applied at the local Discord. DATABASE_URL picks the backend
 * (default: a fresh SQLite file).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { DiscordRestAdapter } from '../src/adapters/discord/rest.js';
import { inTransaction } from '../src/app/shared/context.js';
import { insertCustomer } from '../src/app/grants/customers.js';
import { createGrant } from '../src/app/grants/grants.js';
import { serverRow } from '../src/app/access/servers.js';
import { entitlementRow } from '../src/app/catalog/entitlements.js';
import { startRolegate } from '../src/main/app.js';
import { startLocalDiscord } from '@rolegate/local-discord';

const N = Number(process.argv[2] ?? 2000);
const LIMIT = 50;

const discord = await startLocalDiscord({ globalRateLimitPerSecond: LIMIT });
const guild = discord.createGuild({ name: 'Bench' });
const roleId = discord.createRole(guild.id, { name: 'Member+' }).id;
const users: string[] = [];
for (let i = 0; i < N; i++) {
  const id = discord.createUser({ username: `buyer${i}` }).id;
  discord.addMember(guild.id, id);
  users.push(id);
}

const dataDir = mkdtempSync(join(tmpdir(), 'rolegate-bench-'));
const config = loadConfig({
  DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(dataDir, 'bench.db')}`,
  DATA_DIR: dataDir,
  PORT: '0',
  LOG_LEVEL: 'silent',
  WORKER_CONCURRENCY: '32',
  DISCORD_API_URL: discord.apiBaseUrl,
  DISCORD_BOT_TOKEN: discord.botToken,
  DISCORD_APPLICATION_ID: discord.applicationId,
  DISCORD_CLIENT_SECRET: discord.clientSecret,
});
const adapter = new DiscordRestAdapter({
  apiUrl: discord.apiBaseUrl,
  botToken: discord.botToken,
  // The client's global window and the server's are not aligned; a hair under the limit keeps
  // two adjacent client windows from landing in one server window.
  globalRequestsPerSecond: LIMIT - 2,
});
const app = await startRolegate({
  config,
  run: { http: false, worker: true, scheduler: false },
  ports: { discord: adapter },
});
const ctx = app.ctx;
const db = ctx.db.kysely;

// The server as the install flow stores it (read from the local Discord, not hand-written).
const { readGuild } = await import('../src/app/access/servers.js');
const snap = await readGuild(adapter, guild.id);
const now = Date.now();
await db
  .insertInto('servers')
  .values(
    serverRow({
      id: 'srv_bench',
      guildId: guild.id,
      name: 'Bench',
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
      server_id: 'srv_bench',
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
      id: 'ent_bench',
      serverId: 'srv_bench',
      name: 'Bench',
      now,
      role_ids: JSON.stringify([roleId]),
      grace_days: 0,
    }),
  )
  .execute();
const customers: string[] = [];
for (const u of users) customers.push((await insertCustomer(db, now, { discordUserId: u })).id);

discord.resetCounters();
discord.resetRateLimits();
const createdAt = new Map<string, number>();
const start = Date.now();
for (let i = 0; i < N; i++) {
  const t = Date.now();
  await inTransaction(ctx, (tx) =>
    createGrant(ctx, tx, {
      entitlementId: 'ent_bench',
      customerId: customers[i]!,
      source: 'manual',
      active: true,
      cause: 'bench',
    }),
  );
  createdAt.set(users[i]!, t);
}

for (;;) {
  const row = await db
    .selectFrom('grants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'delivered')
    .executeTakeFirstOrThrow();
  if (Number(row.n) >= N) break;
  await new Promise((r) => setTimeout(r, 100));
}
const elapsedS = (Date.now() - start) / 1000;

const log = discord.requestLog;
const applied = new Map<string, number>();
for (const r of log) {
  const m = /\/members\/(\d+)\/roles\//.exec(r.path);
  if (m && r.method === 'PUT' && r.status === 204) applied.set(m[1]!, r.at);
}
const latencies = users.map((u) => (applied.get(u) ?? NaN) - createdAt.get(u)!).sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
const first = Math.min(...log.map((r) => r.at));
const last = Math.max(...log.map((r) => r.at));
const rps = log.length / Math.max((last - first) / 1000, 0.001);

console.log(
  `machine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${ctx.db.dialect}`,
);
console.log(
  `grants delivered: ${N} in ${elapsedS.toFixed(1)} s; Discord requests: ${log.length} (${(log.length / N).toFixed(2)} per grant)`,
);
console.log(`achieved ${rps.toFixed(1)} req/s ÷ limit ${LIMIT} = ${(rps / LIMIT).toFixed(3)} (target ≥ 0.9)`);
console.log(
  `429s: ${log.filter((r) => r.status === 429).length} (target 0); invalid requests: ${discord.invalidRequestCount}`,
);
console.log(
  `grant created → role applied: p50 ${(pct(50) / 1000).toFixed(1)} s, p99 ${(pct(99) / 1000).toFixed(1)} s`,
);

if (process.env.BENCH_DEBUG)
  console.log(
    log.filter((r) => r.status === 429).map((r) => [r.method, r.route, r.at - first, r.rateLimitScope]),
  );
await app.stop();
await discord.close();
