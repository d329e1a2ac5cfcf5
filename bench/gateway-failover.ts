/**
 * Gateway leader failover: two `rolegate worker` processes (the real CLI, default lease timings)
 * on one fresh PostgreSQL database, against a local Discord with its gateway.
 *
 *   npx tsx bench/gateway-failover.ts [rounds=3]
 *
 * Each round waits until exactly one process holds the lease and one gateway connection is live,
 * kills the leader with SIGKILL (no clean hand-over: the lease must expire), and measures the time
 * until (a) the other process holds the lease and (b) the local Discord sees its new connection
 * identified. Then a replacement process is started for the next round. Target: < 15 s.
 * TEST_POSTGRES_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalDiscord } from '@rolegate/local-discord';
import { migrate, openDb } from '../src/adapters/store/db.js';
import { freshPostgres, until } from './postgres.js';
import { GATEWAY_LEASE } from '../src/app/access/store/gateway-lease.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rolegate.js');

interface Instance {
  child: ChildProcess;
  /** The listener id it logged when it became leader (null until it leads). */
  leaderId: string | null;
  exited: Promise<void>;
}

const database = await freshPostgres();
const url = new URL(database.url);
const db = openDb(database.url);
await migrate(db);
const discord = await startLocalDiscord();
discord.createGuild({ name: 'Failover' });

function startWorker(): Instance {
  const child = spawn(process.execPath, [bin, 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-bench-')),
      LOG_LEVEL: 'info',
      DISCORD_API_URL: discord.apiBaseUrl,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const instance: Instance = {
    child,
    leaderId: null,
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const m = /"listener":"(gw_[0-9a-f]+)"[^\n]*this instance leads/.exec(buffer);
    if (m?.[1]) instance.leaderId = m[1];
  });
  return instance;
}

const lease = () =>
  db.kysely.selectFrom('gateway_leases').selectAll().where('name', '=', GATEWAY_LEASE).executeTakeFirst();
const liveSessions = () => discord.gateway.sessions().filter((s) => s.connected);

const instances = [startWorker(), startWorker()];
const results: { leaseMs: number; connectedMs: number }[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const held = await until('a connected leader', async () => {
      const row = await lease();
      return row?.status === 'connected' && row.expires_at > Date.now() && liveSessions().length === 1
        ? row
        : null;
    });
    const leader = await until('the leader to be known', async () =>
      instances.find((i) => i.leaderId === held.holder),
    );
    const oldSession = liveSessions()[0]!.sessionId;
    const killedAt = performance.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    instances.splice(instances.indexOf(leader), 1);
    const leaseMs = await until('another process to take the lease', async () => {
      const row = await lease();
      return row && row.holder !== held.holder && row.expires_at > Date.now()
        ? performance.now() - killedAt
        : null;
    });
    const connectedMs = await until('the new connection', async () => {
      const live = liveSessions();
      return live.length === 1 && live[0]!.sessionId !== oldSession ? performance.now() - killedAt : null;
    });
    results.push({ leaseMs, connectedMs });
    console.log(
      `round ${round}: leader killed → lease taken ${(leaseMs / 1000).toFixed(2)} s, new gateway connection identified ${(connectedMs / 1000).toFixed(2)} s`,
    );
    instances.push(startWorker());
  }
} finally {
  for (const i of instances) i.child.kill('SIGKILL');
  await Promise.all(instances.map((i) => i.exited));
  await db.close();
  await discord.close();
  await database.drop();
}

const worst = Math.max(...results.map((r) => r.connectedMs));
console.log(
  `\nGateway failover, 2 × rolegate worker on PostgreSQL, lease 8 s renewed every 1.5 s, SIGKILL of the leader:` +
    `\n  takeover (new connection identified) worst ${(worst / 1000).toFixed(2)} s over ${results.length} rounds (target < 15 s)` +
    `\n  machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
