/**
 * How fast the gateway listener repairs drift, against the local Discord's gateway.
 *
 *   npx tsx bench/gateway-repair.ts [rounds=20]
 *
 * One `rolegate worker`'s parts in this process (worker + gateway listener, default settings) on a
 * fresh SQLite file (DATABASE_URL picks another backend). One paid member; each round they leave
 * and rejoin (Discord gives them no roles back), then a moderator removes their paid role. Measured
 * from the world change at the local Discord (the moment the gateway dispatch is sent) to the
 * moment the local Discord applied Rolegate's PUT that gives the role back, both on the local
 * Discord's clock. Target: under 2 s. Also prints the Discord requests each repair cost.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDiscord } from '@rolegate/local-discord';
import { loadConfig } from '../src/config.js';
import { inTransaction } from '../src/app/shared/context.js';
import { insertCustomer } from '../src/app/grants/customers.js';
import { entitlementRow } from '../src/app/catalog/entitlements.js';
import { createGrant } from '../src/app/grants/grants.js';
import { refreshServer, serverRow } from '../src/app/access/servers.js';
import { startRolegate } from '../src/main/app.js';

const ROUNDS = Number(process.argv[2] ?? 20);

const discord = await startLocalDiscord();
const guild = discord.createGuild({ name: 'Repair' });
const roleId = discord.createRole(guild.id, { name: 'Paid' }).id;
const userId = discord.createUser({ username: 'buyer' }).id;
discord.addMember(guild.id, userId);

const dataDir = mkdtempSync(join(tmpdir(), 'rolegate-bench-'));
const app = await startRolegate({
  config: loadConfig({
    DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(dataDir, 'bench.db')}`,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DISCORD_API_URL: discord.apiBaseUrl,
    DISCORD_BOT_TOKEN: discord.botToken,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_CLIENT_SECRET: discord.clientSecret,
  }),
  run: { http: false, worker: true, scheduler: false, gateway: true },
});
const { ctx } = app;
const now = Date.now();
await ctx.db.kysely
  .insertInto('servers')
  .values(serverRow({ id: 'srv_repair', guildId: guild.id, name: 'Repair', now }))
  .execute();
await refreshServer(ctx, 'srv_repair');
await ctx.db.kysely
  .insertInto('entitlements')
  .values(
    entitlementRow({
      id: 'ent_repair',
      serverId: 'srv_repair',
      name: 'Paid',
      now,
      role_ids: JSON.stringify([roleId]),
      grace_days: 0,
    }),
  )
  .execute();
const customer = await insertCustomer(ctx.db.kysely, now, { discordUserId: userId });
await inTransaction(ctx, (tx) =>
  createGrant(ctx, tx, {
    entitlementId: 'ent_repair',
    customerId: customer.id,
    source: 'manual',
    active: true,
    cause: 'bench',
  }),
);

const hasRole = () => discord.getMember(guild.id, userId)?.roles.includes(roleId) ?? false;
/** Resolves with performance.now() of the world change that gives the member the role back. */
const roleBack = () =>
  new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the role did not come back within 30 s')), 30_000);
    const stop = discord.onWorldChange((change) => {
      if (change.kind !== 'memberUpdated' && change.kind !== 'memberAdded') return;
      if (change.userId !== userId || !hasRole()) return;
      clearTimeout(timer);
      stop();
      resolve(performance.now());
    });
  });
const until = async (what: string, check: () => boolean) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 30_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

await until('the gateway to connect', () => app.gateway?.status === 'connected');
await until('the first delivery', hasRole);
await app.gateway?.settled();

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1]!;
const rejoin: number[] = [];
const removal: number[] = [];
let rejoinCalls = 0;
let removalCalls = 0;
for (let i = 0; i < ROUNDS; i++) {
  discord.memberLeaves(guild.id, userId);
  let back = roleBack();
  let before = discord.requestLog.length;
  let t0 = performance.now();
  discord.memberRejoins(guild.id, userId);
  rejoin.push((await back) - t0);
  await until('the sync to settle', () => discord.requestLog.length > before);
  rejoinCalls += discord.requestLog.length - before;

  back = roleBack();
  before = discord.requestLog.length;
  t0 = performance.now();
  discord.moderatorRemovesRole(guild.id, userId, roleId);
  removal.push((await back) - t0);
  await until('the sync to settle', () => discord.requestLog.length > before);
  removalCalls += discord.requestLog.length - before;
}
await app.stop();
await discord.close();

const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
console.log(
  [
    `Gateway repairs over ${ROUNDS} rounds (${ctx.db.dialect}, worker + listener in one process, target < 2 s):`,
    `  member rejoins → paid role back:         ${fmt(rejoin)}; ${(rejoinCalls / ROUNDS).toFixed(2)} Discord requests each`,
    `  moderator removes the role → role back:  ${fmt(removal)}; ${(removalCalls / ROUNDS).toFixed(2)} Discord requests each`,
    `  machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  ].join('\n'),
);
