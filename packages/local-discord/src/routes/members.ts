import type { APIGuildMember } from 'discord-api-types/v10';
import { apiError, formError } from '../errors.js';
import { basePermissions, canKick, canManageRole } from '../hierarchy.js';
import { jsonBody, param, type RouteContext, type RouteReply } from '../http.js';
import { Permission, hasPermission } from '../permissions.js';
import type { RouteDef } from '../router.js';
import { memberJson } from '../serialize.js';
import { isSnowflake } from '../snowflake.js';
import type { GuildRecord } from '../state.js';
import type { World } from '../world.js';
import { guildForBot, memberOf, roleOf } from './access.js';

/** Discord's cap on guilds per user (200 with Nitro; the Local Discord has no Nitro). */
const MAX_GUILDS_PER_USER = 100;

export function memberRoutes(world: World): RouteDef[] {
  const { state } = world;
  return [
    {
      method: 'GET',
      pattern: '/guilds/:guildId/members',
      auth: 'bot',
      bucket: 'listMembers',
      handle: (ctx) => listMembers(world, ctx),
    },
    {
      method: 'GET',
      pattern: '/guilds/:guildId/members/search',
      auth: 'bot',
      bucket: 'listMembers',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        const query = ctx.query.get('query');
        if (query === null) formError(['query'], 'BASE_TYPE_REQUIRED', 'This field is required');
        const limit = parseLimit(ctx.query.get('limit'));
        const needle = query.toLowerCase();
        const found: APIGuildMember[] = [];
        for (const member of guild.members.values()) {
          if (found.length === limit) break;
          const user = state.requireUser(member.userId);
          const names = [user.username, user.globalName, member.nick];
          if (names.some((n) => n?.toLowerCase().startsWith(needle))) found.push(memberJson(state, member));
        }
        return { status: 200, body: found };
      },
    },
    {
      method: 'GET',
      pattern: '/guilds/:guildId/members/:userId',
      auth: 'bot',
      bucket: 'member',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        return { status: 200, body: memberJson(state, memberOf(guild, param(ctx, 'userId'))) };
      },
    },
    {
      method: 'PUT',
      pattern: '/guilds/:guildId/members/:userId',
      auth: 'bot',
      bucket: 'member',
      handle: (ctx) => addGuildMember(world, ctx),
    },
    {
      method: 'DELETE',
      pattern: '/guilds/:guildId/members/:userId',
      auth: 'bot',
      bucket: 'member',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        const member = memberOf(guild, param(ctx, 'userId'));
        if (!canKick(guild, state.botUser.id, member.userId)) throw apiError('MissingPermissions');
        state.removeMember(guild.id, member.userId);
        return { status: 204 };
      },
    },
  ];
}

function parseLimit(raw: string | null): number {
  if (raw === null) return 1;
  const limit = Number(raw);
  if (!Number.isInteger(limit)) formError(['limit'], 'NUMBER_TYPE_COERCE', `Value "${raw}" is not int.`);
  if (limit < 1) formError(['limit'], 'NUMBER_TYPE_MIN', 'int value should be greater than or equal to 1.');
  if (limit > 1000)
    formError(['limit'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 1000.');
  return limit;
}

/** List Guild Members: `limit` 1–1000 (default 1), `after` = highest id of the previous page. */
function listMembers(world: World, ctx: RouteContext): RouteReply {
  const { state } = world;
  const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
  // Without the privileged GUILD_MEMBERS intent this route answers 403/50001 (Discord.Net#1908).
  if (!state.membersIntent) throw apiError('MissingAccess');
  const limit = parseLimit(ctx.query.get('limit'));
  const after = ctx.query.get('after') ?? '0';
  if (!isSnowflake(after))
    formError(['after'], 'SNOWFLAKE_TYPE_INVALID', `Value "${after}" is not snowflake.`);
  // A binary search and `limit` reads, however big the guild (member-table.ts).
  const page = guild.members.page(after, limit);
  return { status: 200, body: page.map((member) => memberJson(state, member)) };
}

/**
 * Add Guild Member. 201 + member when the user joins; 204 and NO body when they already are
 * a member — and then the body's `roles` are NOT applied (reboxer/discord-oauth2#54).
 */
function addGuildMember(world: World, ctx: RouteContext): RouteReply {
  const { state } = world;
  const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
  const userId = param(ctx, 'userId');
  const body = jsonBody(ctx);
  const accessToken = body['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') {
    formError(['access_token'], 'BASE_TYPE_REQUIRED', 'This field is required');
  }
  const roleIds = parseRoleIds(body['roles']);
  const user = state.users.get(userId);
  if (!user) throw apiError('UnknownUser');

  const botPermissions = basePermissions(guild, state.botUser.id);
  if (!hasPermission(botPermissions, Permission.CreateInstantInvite)) throw apiError('MissingPermissions');

  // Expired, revoked, refreshed, other user's or other app's token: all the same 50025.
  const token = world.oauth.resolveAccessToken(accessToken);
  if (!token || token.userId !== userId) throw apiError('InvalidOAuthToken');
  if (!token.scopes.includes('guilds.join')) throw apiError('MissingOAuthScope');

  if (guild.bans.has(userId)) throw apiError('UserBanned');
  if (guild.members.has(userId)) return { status: 204 };
  // Checked after membership: reported fixed in 2024 for existing members (discord-api-docs#6888).
  if (state.guildCount(userId) >= MAX_GUILDS_PER_USER) throw apiError('MaximumGuilds');
  checkGrantableRoles(world, guild, roleIds);

  const member = state.addMember(guild.id, userId, roleIds);
  return { status: 201, body: memberJson(state, member) };
}

function parseRoleIds(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) formError(['roles'], 'BASE_TYPE_ARRAY', 'Could not interpret value as array.');
  return value.map((id: unknown, index) => {
    if (typeof id !== 'string' || !isSnowflake(id)) {
      formError(['roles', index], 'SNOWFLAKE_TYPE_INVALID', `Value "${String(id)}" is not snowflake.`);
    }
    return id;
  });
}

/** Roles in an Add Guild Member body pass the same checks as Add Guild Member Role. */
function checkGrantableRoles(world: World, guild: GuildRecord, roleIds: readonly string[]): void {
  for (const roleId of roleIds) {
    const role = roleOf(guild, roleId);
    if (!canManageRole(guild, world.state.botUser.id, role)) throw apiError('MissingPermissions');
  }
}
