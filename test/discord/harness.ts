import type { Dialect } from '../../src/adapters/store/db.js';
import type { DiscordPort } from '../../src/core/ports/discord.js';
import { DiscordRestAdapter, type DiscordRestOptions } from '../../src/adapters/discord/rest.js';
import { enqueue } from '../../src/adapters/store/queue.js';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '@rolegate/local-discord';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { serversHealTask } from '../../src/app/access/jobs.js';

/** A running Rolegate wired to a running local Discord, with shortcuts for the usual setup. */
export interface Harness {
  discord: LocalDiscord;
  t: TestApp;
  guildId: string;
  ownerId: string;
  botRoleId: string;
  serverId: string;
  gold: string;
  silver: string;
  redirectUri: string;
  /** Connects another guild through the real bot-install flow. */
  connect(guildId: string): Promise<string>;
  entitlement(roleIds: string[], extra?: Record<string, unknown>): Promise<string>;
  /** A manual grant for a Discord user (the customer is found or created by that id). */
  grant(entitlementId: string, discordUserId: string): Promise<{ id: string; customer_id: string }>;
  grantRow(
    id: string,
  ): Promise<{ status: string; last_error_owner: string | null; last_error_code: string | null }>;
  waitStatus(id: string, status: string, timeoutMs?: number): Promise<void>;
  memberRoles(userId: string): string[] | null;
  /** Links a customer's Discord account with a real OAuth token from the local Discord. */
  link(customerId: string, discordUserId: string): Promise<void>;
  /** Waits until no member sync is queued or running. */
  settled(timeoutMs?: number): Promise<void>;
  /** Queues the periodic heal task now, exactly as the scheduler does each period. */
  runHeal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(
  dialect: Dialect,
  options: {
    localDiscord?: StartLocalDiscordOptions;
    adapter?: Partial<DiscordRestOptions>;
    wrap?: (port: DiscordPort) => DiscordPort;
    /** More environment for the app (for example a local Stripe's). */
    env?: Record<string, string>;
  } = {},
): Promise<Harness> {
  const discord = await startLocalDiscord(options.localDiscord);
  const adapter = new DiscordRestAdapter({
    apiUrl: discord.apiBaseUrl,
    botToken: discord.botToken,
    applicationId: discord.applicationId,
    clientSecret: discord.clientSecret,
    ...options.adapter,
  });
  const t = await startTestApp({
    dialect,
    env: {
      DISCORD_API_URL: discord.apiBaseUrl,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
      ...options.env,
    },
    ports: { discord: options.wrap ? options.wrap(adapter) : adapter },
  });
  const ctx = t.app.ctx;
  const redirectUri = `${t.url}/discord/install/callback`;

  const connect = async (guildId: string) => {
    const owner = discord.getGuild(guildId)?.owner_id ?? '';
    const install = await fetch(`${t.url}/discord/install`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
      redirect: 'manual',
    });
    const state = new URL(install.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const code = discord.authorizeCode({
      userId: owner,
      scope: 'bot applications.commands',
      redirectUri,
      guildId,
      permissions: '268454915',
    });
    const res = await fetch(`${redirectUri}?code=${code}&state=${encodeURIComponent(state)}`);
    if (res.status !== 200) throw new Error(`install failed: ${res.status} ${await res.text()}`);
    const row = await ctx.db.kysely
      .selectFrom('servers')
      .select('id')
      .where('guild_id', '=', guildId)
      .executeTakeFirstOrThrow();
    return row.id;
  };

  const guild = discord.createGuild({ name: 'Shop' });
  // Like Discord, new roles go just above @everyone, below the bot's role.
  const silver = discord.createRole(guild.id, { name: 'Silver' }).id;
  const gold = discord.createRole(guild.id, { name: 'Gold' }).id;
  const serverId = await connect(guild.id);
  // The merchant picks #general for the roles message (the default bot permissions cannot create channels).
  await ctx.db.kysely
    .updateTable('servers')
    .set({ roles_channel_id: guild.systemChannelId })
    .where('id', '=', serverId)
    .execute();
  const botRoleId = discord.listRoles(guild.id).find((r) => r.managed && r.tags?.bot_id)?.id ?? '';

  const h: Harness = {
    discord,
    t,
    guildId: guild.id,
    ownerId: guild.ownerId,
    botRoleId,
    serverId,
    gold,
    silver,
    redirectUri,
    connect,
    async entitlement(roleIds, extra = {}) {
      const res = await t.api('/api/entitlements', {
        method: 'POST',
        body: {
          server_id: serverId,
          name: `E ${roleIds.length}`,
          role_ids: roleIds,
          access: { kind: 'lifetime' },
          ...extra,
        },
      });
      if (res.status !== 201) throw new Error(`entitlement: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async grant(entitlementId, discordUserId) {
      const res = await t.api('/api/grants', {
        method: 'POST',
        body: { entitlement_id: entitlementId, discord_user_id: discordUserId },
      });
      if (res.status !== 201) throw new Error(`grant: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, customer_id: res.body.customer_id as string };
    },
    grantRow: (id) =>
      ctx.db.kysely
        .selectFrom('grants')
        .select(['status', 'last_error_owner', 'last_error_code'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    async waitStatus(id, status, timeoutMs = 10_000) {
      await eventually(
        async () => (await h.grantRow(id)).status === status,
        timeoutMs,
        `grant ${id} ${status}`,
      );
    },
    memberRoles: (userId) => discord.getMember(guild.id, userId)?.roles ?? null,
    async link(customerId, discordUserId) {
      const linkUri = `${t.url}/discord/link/callback`;
      const code = discord.authorizeCode({
        userId: discordUserId,
        scope: 'identify guilds.join',
        redirectUri: linkUri,
      });
      const tokens = await adapter.exchangeCode(code, linkUri);
      const now = Date.now();
      await ctx.db.kysely
        .insertInto('discord_links')
        .values({
          customer_id: customerId,
          discord_user_id: discordUserId,
          username: null,
          access_token_enc: ctx.secrets.encrypt(tokens.accessToken),
          refresh_token_enc: ctx.secrets.encrypt(tokens.refreshToken),
          token_expires_at: now + tokens.expiresIn * 1000,
          scope: tokens.scope,
          token_invalid_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    },
    async settled(timeoutMs = 15_000) {
      await eventually(
        async () => {
          const n = await ctx.db.kysely
            .selectFrom('jobs')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('kind', 'in', ['member.sync', serversHealTask.kind])
            .where('status', 'in', ['queued', 'running'])
            .executeTakeFirstOrThrow();
          return Number(n.n) === 0;
        },
        timeoutMs,
        'member syncs to settle',
      );
    },
    async runHeal() {
      await enqueue(ctx.db.kysely, ctx.db.dialect, {
        kind: serversHealTask.kind,
        dedupeKey: `periodic:${serversHealTask.kind}`,
      });
      ctx.nudge();
    },
    async stop() {
      await t.stop();
      await discord.close();
    },
  };
  return h;
}

/** Requests in the local Discord's log that change something (anything but GET). */
export const mutating = (discord: LocalDiscord) =>
  discord.requestLog.filter((r) => r.method !== 'GET' && r.path.includes('/members/'));
