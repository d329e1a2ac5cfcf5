/**
 * Many processes, one Discord budget: `rolegate discord-proxy` + `rolegate serve` + 2 × `rolegate
 * worker` (the real CLI, each its own process) on one fresh PostgreSQL database, against the local
 * Discord with its global limit at 50 requests a second counted in a sliding window (never more than
 * 50 within ANY 1,000 ms: the strictest reading, decision 0017).
 *
 *   npx tsx bench/multi-process.ts [grants=3000]
 *
 * Two runs, each on its own database and guild: (1) every process up to the end; (2) one worker
 * SIGKILLed once a third of the grants are delivered (its leased jobs come back after
 * JOB_LEASE_SECONDS=10). Grants are created through `POST /api/grants` on `serve` (an API key made
 * with `rolegate api-keys create`), each for a buyer already in the guild, so each delivery is one
 * PUT of one role (decision 0019). Prints per run: grants delivered, Discord requests (and per
 * grant), the rate from the first to the last request ÷ the limit (target ≥ 0.9), the busiest
 * 1,000 ms at Discord, 429s (target 0), and how many grants got their role PUT more than once (a
 * killed worker's job may have sent its PUT before it died: the repeat is idempotent at Discord).
 * TEST_POSTGRES_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalDiscord, type LocalDiscord } from '@rolegate/local-discord';
import { DiscordRestAdapter } from '../src/adapters/discord/rest.js';
import { migrate, openDb } from '../src/adapters/store/db.js';
import { newId } from '../src/core/ids.js';
import { loadConfig } from '../src/config.js';
import { inTransaction } from '../src/app/shared/context.js';
import { insertCustomer } from '../src/app/grants/customers.js';
import { createGrant } from '../src/app/grants/grants.js';
import { startRolegate } from '../src/main/app.js';
import { seedServer } from './seed-server.js';
import { freshPostgres, until } from './postgres.js';

const GRANTS = Number(process.argv[2] ?? 3000);
const LIMIT = 50;
/** How long the runs may take: process starts and 3,000 requests at 50/s, with room. */
const LONG = 300_000;
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rolegate.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

function start(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', GATEWAY: 'off', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(`[${name}] ${b.toString()}`));
  return { name, child, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function listening(url: string): Promise<void> {
  await until(`${url} to answer`, async () => {
    try {
      return (await fetch(url)).ok;
    } catch {
      return false;
    }
  });
}

/** The busiest 1,000 ms at Discord: the most arrivals within any window (t − 1000, t]. */
function busiest(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[j]! <= t[i]! - 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** The launch-day backlog: every grant created (and its member sync queued) before the processes start. */
async function createGrants(databaseUrl: string, entitlementId: string, users: string[]): Promise<void> {
  const app = await startRolegate({
    config: loadConfig({
      DATABASE_URL: databaseUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-bench-')),
      LOG_LEVEL: 'silent',
    }),
    run: { http: false, worker: false, scheduler: false },
  });
  try {
    const { ctx } = app;
    for (const user of users) {
      const customer = await insertCustomer(ctx.db.kysely, Date.now(), { discordUserId: user });
      await inTransaction(ctx, (tx) =>
        createGrant(ctx, tx, {
          entitlementId,
          customerId: customer.id,
          source: 'manual',
          active: true,
          cause: 'bench',
        }),
      );
    }
  } finally {
    await app.stop();
  }
}

async function run(kill: boolean): Promise<void> {
  const database = await freshPostgres();
  const databaseUrl = database.url;
  const db = openDb(databaseUrl);
  await migrate(db);
  const discord: LocalDiscord = await startLocalDiscord({
    globalRateLimitPerSecond: LIMIT,
    globalRateLimitWindow: 'sliding',
  });
  const procs: Proc[] = [];
  try {
    const guildId = discord.createGuild({ name: 'Bench' }).id;
    const roleId = discord.createRole(guildId, { name: 'Member+' }).id;
    const users: string[] = [];
    for (let i = 0; i < GRANTS; i++) {
      const id = discord.createUser({ username: `buyer${i}` }).id;
      discord.addMember(guildId, id);
      users.push(id);
    }
    const seedPort = new DiscordRestAdapter({ apiUrl: discord.apiBaseUrl, botToken: discord.botToken });
    const entitlementId = newId('entitlement');
    await seedServer(db.kysely, seedPort, {
      serverId: newId('server'),
      entitlementId,
      guildId,
      roleIds: [roleId],
      name: 'Bench',
    });

    const proxyPort = await freePort();
    const httpPort = await freePort();
    const common = {
      DATABASE_URL: databaseUrl,
      DISCORD_API_URL: discord.apiBaseUrl,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
      JOB_LEASE_SECONDS: '10',
    };
    const createStart = Date.now();
    await createGrants(databaseUrl, entitlementId, users);
    const createdS = (Date.now() - createStart) / 1000;
    discord.resetCounters();
    discord.resetRateLimits();
    const began = Date.now();

    procs.push(start('proxy', ['discord-proxy'], { ...common, DISCORD_PROXY_PORT: String(proxyPort) }));
    await listening(`http://127.0.0.1:${proxyPort}/healthz`);
    const viaProxy = { ...common, DISCORD_PROXY_URL: `http://127.0.0.1:${proxyPort}` };
    const dataDir = () => mkdtempSync(join(tmpdir(), 'rolegate-bench-'));
    procs.push(start('serve', ['serve'], { ...viaProxy, PORT: String(httpPort), DATA_DIR: dataDir() }));
    procs.push(start('worker1', ['worker'], { ...viaProxy, DATA_DIR: dataDir() }));
    procs.push(start('worker2', ['worker'], { ...viaProxy, DATA_DIR: dataDir() }));
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    await listening(`${baseUrl}/healthz`);
    const delivered = async () =>
      Number(
        (
          await db.kysely
            .selectFrom('grants')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('status', '=', 'delivered')
            .executeTakeFirstOrThrow()
        ).n,
      );
    let killedAt: number | null = null;
    const killer = kill
      ? until('a third delivered', async () => (await delivered()) >= GRANTS / 3, LONG, 50).then(() => {
          procs[2]!.child.kill('SIGKILL');
          killedAt = Date.now() - began;
        })
      : Promise.resolve();
    await killer;
    await until('every grant delivered', async () => (await delivered()) >= GRANTS, LONG, 50);
    const doneS = (Date.now() - began) / 1000;

    const log = discord.requestLog;
    const puts = new Map<string, number>();
    for (const r of log) {
      const m = /\/members\/(\d+)\/roles\//.exec(r.path);
      if (m && r.method === 'PUT' && r.status === 204) puts.set(m[1]!, (puts.get(m[1]!) ?? 0) + 1);
    }
    const times = log.map((r) => r.at);
    const first = Math.min(...times);
    const last = Math.max(...times);
    const rps = log.length / Math.max((last - first) / 1000, 0.001);
    const report = discord.accountingReport();
    const limited = report.rateLimited.global + report.rateLimited.route + report.rateLimited.shared;
    const missing = users.filter((u) => !puts.has(u)).length;
    const repeated = [...puts.values()].filter((n) => n > 1).length;
    console.log(
      `\n${kill ? 'worker1 SIGKILLed' : 'all processes up'}: ${GRANTS} grants queued in ${createdS.toFixed(1)} s before the processes started${killedAt === null ? '' : `, worker1 killed at ${(killedAt / 1000).toFixed(1)} s`}; all delivered ${doneS.toFixed(1)} s after the processes were started`,
    );
    console.log(
      `  Discord requests ${log.length} (${(log.length / GRANTS).toFixed(2)} per grant); rate ${rps.toFixed(1)}/s ÷ limit ${LIMIT} = ${(rps / LIMIT).toFixed(3)} (target ≥ 0.9); busiest 1,000 ms ${busiest(times)} (limit ${LIMIT})`,
    );
    console.log(
      `  429s ${limited} (target 0); invalid ${report.invalidRequests.total}; grants without their role ${missing}; roles PUT more than once ${repeated}`,
    );
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await db.close();
    await discord.close();
    await database.drop();
  }
}

console.log(
  `machine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await run(false);
await run(true);
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
