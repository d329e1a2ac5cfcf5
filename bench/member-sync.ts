/**
 * Member sync delivery against the local Discord with its global limit at 50 req/s, counted in a
 * sliding window (never more than 50 within ANY 1,000 ms: the strictest reading, decision 0017).
 *
 *   npx tsx bench/member-sync.ts [grants=2000] [steadySeconds=15]
 *
 * Seeds one server with one role and buyers already in the guild. Burst: N active grants created at
 * once (each queues its member sync through the outbox), waits until every grant is `delivered`.
 * Each delivery costs one PUT role (decision 0019: no read first). Prints requests per grant
 * (target 1.00), the busiest 1,000 ms ÷ the limit and the achieved rate ÷ the limit (target ≥ 0.9),
 * 429s (target 0) and invalid requests (target 0). Steady: 20 grants a second for steadySeconds,
 * printing p50/p99 from grant creation to the role applied at the local Discord (target p99 < 250
 * ms). DATABASE_URL picks the backend (default: a fresh SQLite file).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { DiscordRestAdapter } from '../src/adapters/discord/rest.js';
import { inTransaction } from '../src/app/shared/context.js';
import { insertCustomer } from '../src/app/grants/customers.js';
import { createGrant } from '../src/app/grants/grants.js';
import { startRolegate } from '../src/main/app.js';
import { startLocalDiscord } from '@rolegate/local-discord';
import { seedServer } from './seed-server.js';

const N = Number(process.argv[2] ?? 2000);
const STEADY_S = Number(process.argv[3] ?? 15);
const STEADY_RATE = 20;
const LIMIT = 50;

const discord = await startLocalDiscord({
  globalRateLimitPerSecond: LIMIT,
  globalRateLimitWindow: 'sliding',
});
const guild = discord.createGuild({ name: 'Bench' });
const roleId = discord.createRole(guild.id, { name: 'Member+' }).id;
const users: string[] = [];
const steadyUsers: string[] = [];
for (let i = 0; i < N + STEADY_S * STEADY_RATE; i++) {
  const id = discord.createUser({ username: `buyer${i}` }).id;
  discord.addMember(guild.id, id);
  (i < N ? users : steadyUsers).push(id);
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
  globalRequestsPerSecond: LIMIT,
});
const app = await startRolegate({
  config,
  run: { http: false, worker: true, scheduler: false },
  ports: { discord: adapter },
});
const ctx = app.ctx;
const db = ctx.db.kysely;

await seedServer(db, adapter, {
  serverId: 'srv_bench',
  entitlementId: 'ent_bench',
  guildId: guild.id,
  roleIds: [roleId],
  name: 'Bench',
});
const now = Date.now();
const customerOf = new Map<string, string>();
for (const u of [...users, ...steadyUsers])
  customerOf.set(u, (await insertCustomer(db, now, { discordUserId: u })).id);

async function grantFor(user: string): Promise<number> {
  const t = Date.now();
  await inTransaction(ctx, (tx) =>
    createGrant(ctx, tx, {
      entitlementId: 'ent_bench',
      customerId: customerOf.get(user)!,
      source: 'manual',
      active: true,
      cause: 'bench',
    }),
  );
  return t;
}

async function waitDelivered(total: number): Promise<void> {
  for (;;) {
    const row = await db
      .selectFrom('grants')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'delivered')
      .executeTakeFirstOrThrow();
    if (Number(row.n) >= total) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Per user, when the local Discord applied the role (the 204 of its PUT). */
function appliedAt(): Map<string, number> {
  const applied = new Map<string, number>();
  for (const r of discord.requestLog) {
    const m = /\/members\/(\d+)\/roles\//.exec(r.path);
    if (m && r.method === 'PUT' && r.status === 204) applied.set(m[1]!, r.at);
  }
  return applied;
}

function percentiles(createdAt: Map<string, number>): { p50: number; p99: number } {
  const applied = appliedAt();
  const latencies = [...createdAt].map(([u, t]) => (applied.get(u) ?? NaN) - t).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { p50: pct(50), p99: pct(99) };
}

console.log(
  `machine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${ctx.db.dialect}`,
);

// ---- burst ----
discord.resetCounters();
discord.resetRateLimits();
const burstCreated = new Map<string, number>();
const start = Date.now();
for (const u of users) burstCreated.set(u, await grantFor(u));
await waitDelivered(N);
const elapsedS = (Date.now() - start) / 1000;
const log = discord.requestLog;
const report = discord.accountingReport();
const first = Math.min(...log.map((r) => r.at));
const last = Math.max(...log.map((r) => r.at));
const rps = log.length / Math.max((last - first) / 1000, 0.001);
const burst = percentiles(burstCreated);
const busiest = Math.max(0, ...Object.values(report.maxPerSecond.byCaller));
console.log(
  `burst: ${N} grants delivered in ${elapsedS.toFixed(1)} s; Discord requests: ${log.length} (${(log.length / N).toFixed(2)} per grant, target 1.00)`,
);
console.log(
  `  achieved ${rps.toFixed(1)} req/s ÷ limit ${LIMIT} = ${(rps / LIMIT).toFixed(3)} (target ≥ 0.9); busiest 1,000 ms at Discord: ${busiest} (limit ${LIMIT})`,
);
console.log(
  `  429s: ${report.rateLimited.global + report.rateLimited.route + report.rateLimited.shared} (target 0); invalid requests: ${report.invalidRequests.total} (target 0)`,
);
console.log(
  `  grant created → role applied: p50 ${(burst.p50 / 1000).toFixed(1)} s, p99 ${(burst.p99 / 1000).toFixed(1)} s`,
);

// ---- steady ----
discord.resetCounters();
const steadyCreated = new Map<string, number>();
const steadyStart = Date.now();
for (let i = 0; i < steadyUsers.length; i++) {
  const due = steadyStart + (i * 1000) / STEADY_RATE;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  steadyCreated.set(steadyUsers[i]!, await grantFor(steadyUsers[i]!));
}
await waitDelivered(N + steadyUsers.length);
const steady = percentiles(steadyCreated);
const steadyReport = discord.accountingReport();
console.log(
  `steady: ${steadyUsers.length} grants at ${STEADY_RATE}/s; requests ${discord.requestLog.length}; 429s ${steadyReport.rateLimited.global + steadyReport.rateLimited.route}; grant created → role applied: p50 ${steady.p50.toFixed(0)} ms, p99 ${steady.p99.toFixed(0)} ms (target < 250 ms)`,
);
console.log(
  `client budget: ${adapter.budget.stats.sent} requests sent, window ${adapter.budget.windowMs} ms for ${adapter.budget.limit}`,
);
await app.stop();
await discord.close();
