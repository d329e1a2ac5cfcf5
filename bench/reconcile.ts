/**
 * Reconcile one big server against the local Discord at its DEFAULT rate limits (50 req/s global)
 * and print the Discord calls used vs the minimum, wall time vs what the rate limit allows, and
 * peak RSS, plus the machine it ran on.
 *
 *   npx tsx bench/reconcile.ts            # 100,000 members, 20,000 grants, 1% drift
 *   BENCH_MEMBERS=20000 BENCH_GRANTS=4000 npx tsx bench/reconcile.ts
 *   BENCH_DB=postgres BENCH_MEMBERS=1000000 BENCH_GRANTS=200000 npx tsx bench/reconcile.ts
 *
 * Drift: 1% of the members have one wrong managed role — most are buyers whose paid role a
 * moderator removed (or who left and rejoined), and 40 are members holding an enforced role by
 * hand (kept under the breaker's default of 50 removals, which would otherwise stop the run).
 *
 * The local Discord runs in a child process (as Discord is remote): wall time and RSS are
 * Rolegate's. "Calls made by reconcile" are the port calls reconcile asked for; the local
 * Discord's request log is printed beside them, and differs only by requests @discordjs/rest
 * repeated after a 429. Other work on the machine moves the wall time: the load average is printed.
 */
import type { Insertable } from 'kysely';
import { fork, type Serializable } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DiscordRestAdapter } from '../src/adapters/discord/rest.js';
import type { CustomersTable, GrantsTable } from '../src/adapters/store/schema.js';
import { loadConfig } from '../src/config.js';
import { reconcileServer } from '../src/app/access/reconcile.js';
import { refreshServer, serverRow } from '../src/app/access/servers.js';
import { newId } from '../src/core/ids.js';
import { entitlementRow } from '../src/app/catalog/entitlements.js';
import { startRolegate } from '../src/main/app.js';
import type { DiscordStats, Seeded, SeedRequest } from './reconcile-discord.js';
import { freshPostgres } from './postgres.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const GRANTS = Number(process.env.BENCH_GRANTS ?? 20_000);
const DRIFT = Math.round(MEMBERS * 0.01);
const HAND_GIVEN = Math.min(40, Math.floor(DRIFT / 2));
const ROLES = 4;
const GLOBAL_PER_SECOND = 50;

/**
 * BENCH_DB=postgres: a fresh database on TEST_POSTGRES_URL's server (default
 * postgres://postgres@127.0.0.1:5432/postgres), dropped at the end; otherwise a fresh SQLite file.
 */
let dropDatabase = async (): Promise<void> => undefined;
async function benchDatabase(): Promise<string> {
  if (process.env.BENCH_DB !== 'postgres')
    return `sqlite:${join(mkdtempSync(join(tmpdir(), 'rolegate-bench-')), 'bench.db')}`;
  const database = await freshPostgres();
  dropDatabase = database.drop;
  return database.url;
}

setFlagsFromString('--expose-gc');
/** A full garbage collection (the flag above makes `gc` reachable without a node option). */
const gc = runInNewContext('gc') as () => void;

let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 50);

// The local Discord runs in a child process (see bench/reconcile-discord.ts for why).
const child = fork(fileURLToPath(new URL('./reconcile-discord.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const replies: ((m: unknown) => void)[] = [];
child.on('message', (m) => replies.shift()?.(m));
const ask = <T>(m?: unknown): Promise<T> =>
  new Promise((resolve) => {
    replies.push((r) => resolve(r as T));
    if (m !== undefined) child.send(m as Serializable);
  });
await ask<{ ready: true }>();

const seedStart = performance.now();
const seedRequest: SeedRequest = {
  cmd: 'seed',
  members: MEMBERS,
  grants: GRANTS,
  roles: ROLES,
  driftedBuyers: DRIFT - HAND_GIVEN,
  handGiven: HAND_GIVEN,
};
const discord = await ask<Seeded>(seedRequest);
const config = loadConfig({
  DATABASE_URL: await benchDatabase(),
  DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-bench-data-')),
  LOG_LEVEL: 'warn',
  DISCORD_API_URL: discord.apiBaseUrl,
  DISCORD_BOT_TOKEN: discord.botToken,
  DISCORD_APPLICATION_ID: discord.applicationId,
});
// The client paces itself at Discord's 50/s unless told otherwise (BENCH_CLIENT_RPS).
const CLIENT_RPS = Number(process.env.BENCH_CLIENT_RPS ?? GLOBAL_PER_SECOND);
const adapter = new DiscordRestAdapter({
  apiUrl: discord.apiBaseUrl,
  botToken: discord.botToken,
  globalRequestsPerSecond: CLIENT_RPS,
});
const app = await startRolegate({
  config,
  run: { http: false, worker: false, scheduler: false },
  ports: { discord: adapter },
});
const { ctx } = app;
const db = ctx.db.kysely;

// ---- seed the database in multi-row inserts ----
const roles = discord.roles;
const now = Date.now();
const serverId = newId('server', now);
await db
  .insertInto('servers')
  .values(serverRow({ id: serverId, guildId: discord.guildId, name: 'Big Server', now }))
  .execute();
await refreshServer(ctx, serverId);
const entitlements = roles.map((roleId, i) =>
  entitlementRow({
    id: newId('entitlement', now),
    serverId,
    name: `Tier ${i}`,
    now,
    role_ids: JSON.stringify([roleId]),
    grace_days: 0,
    enforce_roles: i === 0 ? 1 : 0,
    partial_refund_policy: 'revoke',
    restore_on_dispute_won: 0,
  }),
);
await db.insertInto('entitlements').values(entitlements).execute();

await db.transaction().execute(async (trx) => {
  for (let from = 0; from < discord.buyers.length; from += 500) {
    const customers: Insertable<CustomersTable>[] = [];
    const grants: Insertable<GrantsTable>[] = [];
    for (const [k, userId] of discord.buyers.slice(from, from + 500).entries()) {
      const e = (from + k) % ROLES;
      const customerId = newId('customer', now);
      customers.push({
        id: customerId,
        email: null,
        name: null,
        stripe_customer_id: null,
        discord_user_id: userId,
        created_at: now,
        updated_at: now,
      });
      grants.push({
        id: newId('grant', now),
        entitlement_id: entitlements[e]?.id ?? '',
        customer_id: customerId,
        server_id: serverId,
        status: 'delivered',
        active: 1,
        source: 'manual',
        price_id: null,
        stripe_checkout_session_id: null,
        stripe_subscription_id: null,
        stripe_payment_intents: '[]',
        stripe_status: null,
        stripe_event_created: null,
        starts_at: now - 86_400_000,
        ends_at: null,
        grace_ends_at: null,
        claim_code: null,
        granted_role_ids: JSON.stringify([roles[e]]),
        last_error_code: null,
        last_error_message: null,
        last_error_owner: null,
        status_reason: null,
        note: null,
        created_at: now,
        updated_at: now,
        delivered_at: now - 86_400_000,
        revoked_at: null,
        reminded_for_ends_at: null,
        payment_failed_reminded_for: null,
      });
    }
    await trx.insertInto('customers').values(customers).execute();
    await trx.insertInto('grants').values(grants).execute();
  }
});
const seedMs = performance.now() - seedStart;
discord.buyers.length = 0;

// ---- reconcile ----
await ask({ cmd: 'reset' });
// Let the client's limiter window (opened by the setup reads) lapse too, so client and server both
// start the run with a fresh 1-second window, as they would after any idle second.
await new Promise((resolve) => setTimeout(resolve, 1100));
// The seeding's garbage is the bench's, not Rolegate's: collect it before measuring.
gc();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
peakHeap = heapBefore;
const t0 = performance.now();
const report = await reconcileServer(ctx, serverId);
const wallMs = performance.now() - t0;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const maxRssKb = process.resourceUsage().maxRSS;
gc();
const heapAfterGc = process.memoryUsage().heapUsed;

const stats = await ask<DiscordStats>({ cmd: 'stats' });
const { listCalls, roleCalls, limited } = stats;
const healthCalls = stats.otherCalls;
const totalMembers = MEMBERS + 2; // + the owner and the bot
const minimum = Math.ceil(totalMembers / 1000) + DRIFT;
// Rolegate's calls (what reconcile asked the port for) vs HTTP requests the local Discord saw:
// they differ only by requests @discordjs/rest repeated after a 429.
const used = report.listCalls + report.memberReads + report.writeCalls;
const http = listCalls + roleCalls;
const allowedMs = ((used + healthCalls) / GLOBAL_PER_SECOND) * 1000;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

console.log(
  `reconcile: ${totalMembers.toLocaleString()} members, ${GRANTS.toLocaleString()} grants, ${DRIFT} drifted roles (${HAND_GIVEN} hand-given enforced, ${DRIFT - HAND_GIVEN} paid roles missing)`,
);
console.log(`  client pacing: ${CLIENT_RPS} req/s (@discordjs/rest global limiter)`);
console.log(`  seeding: ${(seedMs / 1000).toFixed(1)} s`);
console.log(
  `  outcome: ${report.outcome}; members read ${report.membersRead}, repaired ${report.repaired}, failed ${report.failed}, drift entries ${report.drift.length}`,
);
console.log(
  `  Discord calls made by reconcile: ${used} (list ${report.listCalls} + role ${report.writeCalls}${report.memberReads ? ` + member reads ${report.memberReads}` : ''}) vs minimum ${minimum} (⌈${totalMembers}/1000⌉ + ${DRIFT})  → ${used === minimum ? 'equal' : `OFF BY ${used - minimum}`}`,
);
console.log(
  `  HTTP requests at the local Discord: ${http} (list ${listCalls} + role ${roleCalls})${http > used ? ` — ${http - used} repeated by @discordjs/rest after a 429` : ''}`,
);
console.log(
  `  health-check reads (separate): ${healthCalls}; 429 answers: ${limited}; invalid requests: ${stats.invalid}`,
);
console.log(
  `  wall time: ${(wallMs / 1000).toFixed(2)} s; the rate limit allows ${(allowedMs / 1000).toFixed(2)} s for ${used + healthCalls} calls at ${GLOBAL_PER_SECOND}/s → ratio ${(wallMs / allowedMs).toFixed(3)} (target ≤ 1.10)`,
);
console.log(
  `  peak RSS: ${mb(peakRss)} sampled, maxRSS ${mb(maxRssKb * 1024)} (Rolegate's process; before reconcile ${mb(rssBefore)}); target < 300 MB; JS heap used ${mb(heapBefore)} before, peak ${mb(peakHeap)}, ${mb(heapAfterGc)} after a full GC with the report still held`,
);
console.log(
  `database: ${ctx.db.dialect}; machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

console.log(
  `  the local Discord (own process, RSS ${mb(stats.rss)}) spent ${(stats.listServiceMs / 1000).toFixed(2)} s serving the ${listCalls} list pages; ` +
    `it is single-threaded, so role calls wait meanwhile (real Discord serves them in parallel)`,
);

await app.stop();
await dropDatabase();
const exited = new Promise((resolve) => child.once('exit', resolve));
child.send({ cmd: 'close' });
await exited;
