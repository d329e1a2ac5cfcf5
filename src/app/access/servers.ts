import type { DiscordPort, DiscordRole } from '../../core/ports/discord.js';
import { AppError } from '../../core/errors.js';
import { FailureError } from '../../core/failure.js';
import { newId } from '../../core/ids.js';
import {
  ADMINISTRATOR,
  outranks,
  roleProblem,
  type BotStanding,
  type RoleInfo,
  type RoleProblem,
} from '../../core/role-grantability.js';
import type { AppContext } from '../shared/context.js';
import { requireDiscord } from '../shared/services.js';
import { consumeInstallState, installActorAllowed, issueInstallState } from './install-state.js';
import { readGatewayHealth, type GatewayHealth } from './store/gateway-lease.js';
import {
  insertServer,
  loadServer,
  managedRoleIdsOf,
  reactivateServer,
  serverIdOfGuild,
  storedRoles,
  storeSnapshot,
  type GuildSnapshot,
  type ServerRow,
} from './store/servers.js';
import { inTransaction } from '../shared/context.js';

export type { GuildSnapshot, ServerRow } from './store/servers.js';
export { listServers, loadServer, managedRoleIdsOf, pauseServer, resumeServer } from './store/servers.js';

/** Permissions the bot asks for on install: Manage Roles, Create Invite, Kick, View Channel, Send Messages, Embed Links. */
export const BOT_INSTALL_PERMISSIONS = '268454915';

/** Bot permissions per Discord's rule: owner → all; else @everyone OR the bot's roles; ADMINISTRATOR → all. */
function botStanding(
  guildId: string,
  ownerId: string,
  botUserId: string,
  roles: DiscordRole[],
  botRoleIds: string[],
) {
  const isOwner = ownerId === botUserId;
  let perms = BigInt(roles.find((r) => r.id === guildId)?.permissions ?? '0');
  let top: DiscordRole | null = null;
  for (const id of botRoleIds) {
    const role = roles.find((r) => r.id === id);
    if (!role) continue;
    perms |= BigInt(role.permissions);
    if (!top || outranks(role, top)) top = role;
  }
  if (isOwner || (perms & ADMINISTRATOR) !== 0n) perms = (1n << 53n) - 1n;
  const standing: BotStanding = {
    guildId,
    permissions: perms.toString(),
    topRole: top ? { id: top.id, position: top.position, name: top.name } : null,
    isOwner,
  };
  return standing;
}

/**
 * Reads the guild, its roles and the bot's member from Discord: three cheap GETs (the bot user is
 * cached by the adapter). A bot that is no longer in the guild surfaces as a merchant failure.
 */
export async function readGuild(discord: DiscordPort, guildId: string): Promise<GuildSnapshot> {
  const bot = await discord.getBotUser();
  const guild = await discord.getGuild(guildId);
  const member = await discord.getMember(guildId, bot.id);
  if (!member)
    throw new FailureError({
      owner: 'merchant',
      code: 'bot_not_in_server',
      message: 'The Rolegate bot is no longer in this server. Reinstall it from the Rolegate dashboard.',
    });
  return {
    guildId,
    name: guild.name,
    ownerId: guild.ownerId,
    botUserId: bot.id,
    roles: guild.roles,
    standing: botStanding(guildId, guild.ownerId, bot.id, guild.roles, member.roleIds),
  };
}

/** The URL a merchant opens to install the bot (code-grant flow), with a single-use state naming `actor`. */
export async function botInstallUrl(ctx: AppContext, actor: string): Promise<string> {
  const clientId = ctx.config.DISCORD_APPLICATION_ID;
  if (!clientId)
    throw new AppError('service_unavailable', 'Discord is not configured: set DISCORD_APPLICATION_ID.');
  const state = await issueInstallState(ctx, actor);
  // The authorize page lives on discord.com, beside the API base (…/api → …/oauth2/authorize).
  const base = ctx.config.DISCORD_API_URL.replace(/\/api(\/v\d+)?\/?$/, '');
  const params = new URLSearchParams({
    client_id: clientId,
    scope: 'bot applications.commands',
    permissions: BOT_INSTALL_PERMISSIONS,
    response_type: 'code',
    redirect_uri: installRedirectUri(ctx),
    state,
  });
  return `${base}/oauth2/authorize?${params.toString()}`;
}

export const installRedirectUri = (ctx: AppContext) => `${ctx.publicUrl}/discord/install/callback`;

/**
 * Finishes a bot install: uses up `state` (once; its asker must still be allowed), exchanges the
 * code, and connects the guild named in Discord's TOKEN RESPONSE (never a guild id from the browser,
 * which anyone could edit). A state a dashboard session asked for only works in that session's
 * browser (`browserSessionId`). Reinstalling into a known guild re-activates the same server.
 */
export async function connectServer(
  ctx: AppContext,
  code: string,
  state: string,
  browserSessionId: string | null = null,
): Promise<ServerRow> {
  const issued = await consumeInstallState(ctx, state);
  if (!issued || !(await installActorAllowed(ctx, issued.actor, browserSessionId)))
    throw new AppError(
      'bad_request',
      'The install link is invalid, expired or already used. Start the install again from Rolegate.',
    );
  const discord = requireDiscord(ctx);
  const tokens = await discord.exchangeCode(code, installRedirectUri(ctx)).catch((err: unknown) => {
    if (err instanceof FailureError && err.failure.owner !== 'retry')
      throw new AppError('bad_request', `Discord refused the install: ${err.failure.message}`);
    throw err;
  });
  if (!tokens.guild)
    throw new AppError(
      'bad_request',
      'Discord did not say which server the bot was added to. Install it again.',
    );
  const snap = await readGuild(discord, tokens.guild.id);
  const now = ctx.clock.now();
  return inTransaction(ctx, async ({ db }) => {
    const existing = await serverIdOfGuild(db, snap.guildId);
    const id = existing ?? newId('server', now);
    if (existing) await reactivateServer(db, id);
    else
      await insertServer(
        db,
        serverRow({
          id,
          guildId: snap.guildId,
          name: snap.name,
          now,
          bot_user_id: snap.botUserId,
          owner_id: snap.ownerId,
          bot_permissions: snap.standing.permissions,
          health_checked_at: now,
        }),
      );
    await storeSnapshot(db, id, snap, now);
    return loadServer(db, id);
  });
}

/**
 * A new `servers` row with the defaults of a freshly connected server; `overrides` fill in what is
 * known (the bot's standing, health time). The one place a server row is assembled.
 */
export function serverRow(
  input: { id: string; guildId: string; name: string; now: number } & Partial<ServerRow>,
): ServerRow {
  const { guildId, now, ...overrides } = input;
  return {
    guild_id: guildId,
    bot_user_id: null,
    owner_id: null,
    bot_permissions: '0',
    bot_top_position: 0,
    bot_top_role_id: null,
    status: 'active',
    pause_reason: null,
    paused_at: null,
    members_intent: 1,
    roles_channel_id: null,
    roles_message_id: null,
    health_checked_at: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

/** Re-reads the guild, its roles and the bot's standing from Discord into the store. */
export async function refreshServer(ctx: AppContext, serverId: string): Promise<ServerRow> {
  const server = await loadServer(ctx.db.kysely, serverId);
  const snap = await readGuild(requireDiscord(ctx), server.guild_id);
  const now = ctx.clock.now();
  await inTransaction(ctx, ({ db }) => storeSnapshot(db, serverId, snap, now));
  return loadServer(ctx.db.kysely, serverId);
}

/** Stored roles and bot standing in the shape roleProblem() takes. */
export async function storedStanding(
  ctx: AppContext,
  server: ServerRow,
): Promise<{ roles: RoleInfo[]; bot: BotStanding }> {
  const roles: RoleInfo[] = await storedRoles(ctx.db.kysely, server.id);
  const topName = roles.find((r) => r.id === server.bot_top_role_id)?.name ?? 'Rolegate';
  return {
    roles,
    bot: {
      guildId: server.guild_id,
      permissions: server.bot_permissions,
      topRole: server.bot_top_role_id
        ? { id: server.bot_top_role_id, position: server.bot_top_position, name: topName }
        : null,
      isOwner: server.owner_id !== null && server.owner_id === server.bot_user_id,
    },
  };
}

export interface RoleHealth {
  role_id: string;
  name: string | null;
  grantable: boolean;
  problem: RoleProblem | null;
}

export interface ServerHealth {
  healthy: boolean;
  status: string;
  pause_reason: string | null;
  checked_at: string | null;
  roles: RoleHealth[];
  /** Whether drift is repaired at once (the gateway) or only by reconcile, and why. */
  gateway: GatewayHealth;
}

/** Per managed role: grantable, or exactly what to fix (from the stored snapshot; refresh first for live data). */
export async function serverHealth(ctx: AppContext, serverId: string): Promise<ServerHealth> {
  const db = ctx.db.kysely;
  const server = await loadServer(db, serverId);
  const { roles, bot } = await storedStanding(ctx, server);
  const managed = [...(await managedRoleIdsOf(db, serverId))].sort();
  const health = managed.map((id): RoleHealth => {
    const problem = roleProblem(id, roles, bot);
    return {
      role_id: id,
      name: roles.find((r) => r.id === id)?.name ?? null,
      grantable: problem === null,
      problem,
    };
  });
  return {
    healthy: health.every((h) => h.grantable),
    status: server.status,
    pause_reason: server.pause_reason,
    checked_at: server.health_checked_at === null ? null : new Date(server.health_checked_at).toISOString(),
    roles: health,
    gateway: await readGatewayHealth(db, Date.now()),
  };
}

export function serverView(s: ServerRow) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: s.id,
    object: 'server' as const,
    guild_id: s.guild_id,
    name: s.name,
    status: s.status,
    pause_reason: s.pause_reason,
    paused_at: iso(s.paused_at),
    bot_user_id: s.bot_user_id,
    bot_permissions: s.bot_permissions,
    bot_top_role_id: s.bot_top_role_id,
    bot_top_position: s.bot_top_position,
    roles_channel_id: s.roles_channel_id,
    health_checked_at: iso(s.health_checked_at),
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
  };
}
