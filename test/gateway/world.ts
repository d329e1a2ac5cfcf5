import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '@rolegate/local-discord';
import { DiscordRestAdapter } from '../../src/adapters/discord/rest.js';
import type { Dialect } from '../../src/adapters/store/db.js';
import type { AppContext } from '../../src/app/shared/context.js';
import type { GatewayReaction } from '../../src/app/access/gateway-events.js';
import { loadConfig } from '../../src/config.js';
import { startRolegate, type Rolegate } from '../../src/main/app.js';
import { eventually } from '../helpers/app.js';
import { dropDatabase, freshDatabaseUrl } from '../helpers/db.js';

/**
 * A Rolegate with a worker and the gateway listener, wired to a running local Discord (REST and
 * gateway), on a fresh database: what `rolegate worker` runs, minus the scheduler.
 */
export interface GatewayWorld {
  discord: LocalDiscord;
  app: Rolegate;
  ctx: AppContext;
  /** Every dispatch the listener handled, in order, with what it led to. */
  reactions: { event: string; userId: string | null; reaction: GatewayReaction }[];
  /**
   * Resolves once the listener has handled a dispatch of `event` (at or after index `from`; about
   * `userId` when given: dispatches are handled concurrently, so they may finish out of order).
   */
  handled(event: string, from?: number, userId?: string): Promise<GatewayReaction>;
  stop(): Promise<void>;
}

export async function startGatewayWorld(
  dialect: Dialect,
  options: { localDiscord?: StartLocalDiscordOptions; env?: Record<string, string> } = {},
): Promise<GatewayWorld> {
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
  });
  const reactions: GatewayWorld['reactions'] = [];
  const app = await startRolegate({
    config,
    run: { http: false, worker: true, scheduler: false, gateway: true },
    ports: { discord: adapter },
    gateway: {
      renewMs: 200,
      leaseMs: 1_000,
      onReaction: (payload, reaction) => {
        const d = payload.d as { user?: { id: string } };
        reactions.push({ event: payload.t, userId: d.user?.id ?? null, reaction });
      },
    },
  });
  return {
    discord,
    app,
    ctx: app.ctx,
    reactions,
    handled: (event, from = 0, userId) =>
      eventually(
        async () =>
          reactions
            .slice(from)
            .find((r) => r.event === event && (userId === undefined || r.userId === userId))?.reaction,
        10_000,
        `the listener to handle ${event}`,
      ),
    async stop() {
      await app.stop();
      await discord.close();
      await dropDatabase(url);
    },
  };
}

/** Waits until the listener leads and its connection is live with `status`. */
export async function gatewayUp(w: GatewayWorld, status = 'connected'): Promise<void> {
  await eventually(async () => w.app.gateway?.status === status, 10_000, `the gateway to be ${status}`);
}

/** The member's roles in the local Discord (empty when not a member). */
export const rolesOf = (w: GatewayWorld, guildId: string, userId: string): string[] =>
  w.discord.getMember(guildId, userId)?.roles ?? [];

/** Waits until no member sync is queued or running (a delivery has finished, logs and all). */
export async function syncsIdle(w: GatewayWorld): Promise<void> {
  await eventually(
    async () =>
      (await w.ctx.db.kysely
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', 'member.sync')
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst()) === undefined,
    10_000,
    'member syncs to finish',
  );
}
