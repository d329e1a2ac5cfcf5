import { ConfigError, loadConfig, type Config } from '../config.js';
import { migrate, openDb } from '../adapters/store/db.js';
import { startRolegate, type Rolegate } from '../main/app.js';
import { createInvitation } from '../app/admin/admins.js';
import { sandboxDatabaseUrl, sandboxWanted } from '../main/sandbox.js';
import { runApiKeysCommand } from './api-keys.js';
import { listGrantsForCli } from './grants.js';
import { stopOnSignal } from './signals.js';

const usage = `rolegate <command>

  serve                      API + worker + scheduler in one process (what \`npm start\` runs)
  worker                     a worker (and scheduler) without the HTTP server
  discord-proxy              the one Discord budget shared by every process (set DISCORD_PROXY_URL
                             in the others); listens on DISCORD_PROXY_HOST:DISCORD_PROXY_PORT
  migrate                    apply database migrations and exit
  api-keys create [--name] <name>
                             create an API key (shown once)
  api-keys list              list API keys
  api-keys revoke <id>       revoke an API key
  admins invite              print a one-time link that makes whoever signs in with it an admin
  grants list [--status S] [--entitlement ID] [--customer ID] [--server ID] [--limit N]
                             list grants, newest first
  jobs stats | dead [--limit N] | retry <job id>|--all
                             inspect the queue; put dead jobs back
  reconcile [--server ID] [--dry-run] [--confirm-removals]
                             repair role drift now and print the diff

Configuration comes from environment variables; see the README. Without DATABASE_URL, while the
sandbox is in use (no Discord or Stripe configured), one-shot commands act on the sandbox's database.`;

function config(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The configuration of a one-shot command. In sandbox mode without an explicit DATABASE_URL that is
 * the database `npm start` runs on (DATA_DIR/sandbox.db), not the default one the sandbox never uses.
 */
function oneShotConfig(): Config {
  const base = config();
  if (process.env.DATABASE_URL || !sandboxWanted(base)) return base;
  console.error(`(sandbox: using ${sandboxDatabaseUrl(base.DATA_DIR)}, the database of \`npm start\`)`);
  return { ...base, DATABASE_URL: sandboxDatabaseUrl(base.DATA_DIR) };
}

/** Opens the app without HTTP or worker, for one-shot commands. */
async function oneShot<T>(fn: (app: Rolegate) => Promise<T>): Promise<T> {
  const app = await startRolegate({
    config: { ...oneShotConfig(), LOG_LEVEL: 'warn' },
    run: { http: false, worker: false, scheduler: false },
  });
  try {
    return await fn(app);
  } finally {
    await app.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { startServe } = await import('./serve.js');
      stopOnSignal(await startServe(config()));
      return;
    }
    case 'worker': {
      const app = await startRolegate({
        config: config(),
        run: { http: false, worker: true, scheduler: true, gateway: true },
      });
      app.ctx.log.info({ worker: app.worker?.name }, 'worker started');
      stopOnSignal(app);
      return;
    }
    case 'discord-proxy': {
      const { runDiscordProxy } = await import('./discord-proxy.js');
      await runDiscordProxy(config());
      return;
    }
    case 'migrate': {
      const db = openDb(config().DATABASE_URL);
      const applied = await migrate(db);
      await db.close();
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'migrations are current');
      return;
    }
    case 'api-keys':
      await oneShot(async (app) => {
        if (!(await runApiKeysCommand(app.ctx, sub, rest))) {
          console.error(usage);
          process.exitCode = 2;
        }
      });
      return;
    case 'admins':
      if (sub !== 'invite') break;
      await oneShot(async (app) => {
        const inv = await createInvitation(app.ctx, null);
        console.log(`One-time admin invitation (valid 7 days):\n\n  ${inv.url}\n`);
      });
      return;
    case 'grants':
      if (sub !== 'list') break;
      await oneShot(async (app) => {
        const lines = await listGrantsForCli(app.ctx, {
          status: flag(rest, 'status'),
          entitlementId: flag(rest, 'entitlement'),
          customerId: flag(rest, 'customer'),
          serverId: flag(rest, 'server'),
          limit: Number(flag(rest, 'limit') ?? 50),
        });
        console.log(lines.join('\n'));
      });
      return;
    case 'discord':
      await (await import('./discord.js')).runDiscordCommand(sub, rest, oneShotConfig());
      return;
    case 'reconcile': {
      const args = [sub, ...rest].filter((a): a is string => a !== undefined);
      await (await import('./reconcile.js')).runReconcileCommand(args, oneShotConfig());
      return;
    }
    case 'jobs':
      await (await import('./jobs.js')).runJobsCommand(sub, rest, oneShotConfig());
      return;
    default:
      break;
  }
  console.error(usage);
  process.exitCode = command ? 2 : 0;
}

await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
