import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiscordRestAdapter } from '../../src/adapters/discord/rest.js';
import type { Dialect } from '../../src/adapters/store/db.js';
import { loadConfig } from '../../src/config.js';
import { inTransaction, type AppContext } from '../../src/app/shared/context.js';
import type { MailPort } from '../../src/core/ports/index.js';
import { createGrant } from '../../src/app/grants/grants.js';
import { refreshServer } from '../../src/app/access/servers.js';
import { newId } from '../../src/core/ids.js';
import { entitlementRow } from '../../src/app/catalog/entitlements.js';
import { buildHandlers } from '../../src/main/job-handlers.js';
import { runRegistered } from '../../src/core/jobs.js';
import { claimJobs, completeJob, failJob } from '../../src/adapters/store/queue.js';
import { startRolegate, type Rolegate } from '../../src/main/app.js';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '@rolegate/local-discord';
import { dropDatabase, freshDatabaseUrl } from '../helpers/db.js';

/**
 * A Rolegate without HTTP, worker or scheduler, wired to a running local Discord: tests call the
 * use cases directly and drain the queue themselves, so every Discord call is theirs to count.
 */
export interface World {
  discord: LocalDiscord;
  app: Rolegate;
  ctx: AppContext;
  stop(): Promise<void>;
}

export async function startWorld(
  dialect: Dialect,
  options: { localDiscord?: StartLocalDiscordOptions; env?: Record<string, string>; mail?: MailPort } = {},
): Promise<World> {
  const discord = await startLocalDiscord(options.localDiscord);
  const url = await freshDatabaseUrl(dialect);
  const config = loadConfig({
    DATABASE_URL: url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-data-')),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DISCORD_API_URL: discord.apiBaseUrl,
    DISCORD_BOT_TOKEN: discord.botToken,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_CLIENT_SECRET: discord.clientSecret,
    ...options.env,
  });
  const adapter = new DiscordRestAdapter({
    apiUrl: discord.apiBaseUrl,
    botToken: discord.botToken,
    applicationId: discord.applicationId,
    clientSecret: discord.clientSecret,
    retries: 0,
    ...(options.localDiscord?.globalRateLimitPerSecond
      ? { globalRequestsPerSecond: options.localDiscord.globalRateLimitPerSecond }
      : {}),
  });
  const app = await startRolegate({
    config,
    run: { http: false, worker: false, scheduler: false },
    ports: { discord: adapter, ...(options.mail ? { mail: options.mail } : {}) },
  });
  return {
    discord,
    app,
    ctx: app.ctx,
    async stop() {
      await app.stop();
      await discord.close();
      await dropDatabase(url);
    },
  };
}

export interface Shop {
  guildId: string;
  serverId: string;
  botRoleId: string;
  /** Roles below the bot's, grantable. */
  roles: string[];
}

/** A guild with `roleCount` roles below the bot, connected as a server (snapshot read from Discord). */
export async function newShop(w: World, roleCount = 3, membersIntent = true): Promise<Shop> {
  const guild = w.discord.createGuild({ name: 'Shop' });
  const roles = Array.from(
    { length: roleCount },
    (_, i) => w.discord.createRole(guild.id, { name: `R${i}` }).id,
  );
  const now = Date.now();
  const serverId = newId('server', now);
  await w.ctx.db.kysely
    .insertInto('servers')
    .values({
      id: serverId,
      guild_id: guild.id,
      name: 'Shop',
      bot_user_id: null,
      owner_id: null,
      bot_permissions: '0',
      bot_top_position: 0,
      bot_top_role_id: null,
      status: 'active',
      pause_reason: null,
      paused_at: null,
      members_intent: membersIntent ? 1 : 0,
      roles_channel_id: null,
      roles_message_id: null,
      health_checked_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await refreshServer(w.ctx, serverId);
  return { guildId: guild.id, serverId, botRoleId: guild.botRoleId ?? '', roles };
}

export async function entitlement(
  w: World,
  shop: Shop,
  roleIds: string[],
  options: {
    enforce?: boolean;
    revokeAction?: 'remove_roles' | 'kick' | 'keep' | 'swap';
    fallbackRoleId?: string;
  } = {},
): Promise<string> {
  const now = Date.now();
  const id = newId('entitlement', now);
  await w.ctx.db.kysely
    .insertInto('entitlements')
    .values(
      entitlementRow({
        id,
        serverId: shop.serverId,
        name: `E ${roleIds.join(',')}`,
        now,
        role_ids: JSON.stringify(roleIds),
        revoke_action: options.revokeAction ?? 'remove_roles',
        fallback_role_id: options.fallbackRoleId ?? null,
        grace_days: 0,
        enforce_roles: options.enforce ? 1 : 0,
        partial_refund_policy: 'revoke',
        restore_on_dispute_won: 0,
      }),
    )
    .execute();
  return id;
}

/** A Discord user with a customer linked to them (no OAuth token), in the guild unless told otherwise. */
export async function buyer(
  w: World,
  shop: Shop,
  inGuild = true,
  email: string | null = null,
): Promise<{ userId: string; customerId: string }> {
  const userId = w.discord.createUser({ username: 'buyer' }).id;
  if (inGuild) w.discord.addMember(shop.guildId, userId);
  const now = Date.now();
  const customerId = newId('customer', now);
  await w.ctx.db.kysely
    .insertInto('customers')
    .values({
      id: customerId,
      email,
      name: null,
      stripe_customer_id: null,
      discord_user_id: userId,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { userId, customerId };
}

export async function grant(
  w: World,
  entitlementId: string,
  customerId: string,
  active = true,
): Promise<string> {
  const row = await inTransaction(w.ctx, (tx) =>
    createGrant(w.ctx, tx, { entitlementId, customerId, source: 'manual', active, cause: 'test' }),
  );
  return row.id;
}

/**
 * Runs every queued job now (backoffs included), the way a worker would, until the queue is empty
 * or `rounds` passes found nothing new. A handler that throws is retried on the next pass.
 */
export async function drain(w: World, rounds = 5): Promise<void> {
  const handlers = buildHandlers(w.ctx);
  for (let round = 0; round < rounds; round++) {
    const jobs = await claimJobs(w.ctx.db, 'test-drain', 500, 60_000, Date.now() + 365 * 86_400_000);
    if (jobs.length === 0) return;
    for (const job of jobs) {
      const registered = handlers[job.kind];
      try {
        if (registered && job.kind !== 'webhook.deliver')
          await runRegistered(registered, JSON.parse(job.payload), {
            job,
            worker: 'test-drain',
            signal: new AbortController().signal,
          });
        await completeJob(w.ctx.db.kysely, job, 'test-drain');
      } catch (err) {
        await failJob(w.ctx.db.kysely, job, 'test-drain', String(err));
      }
    }
  }
}
