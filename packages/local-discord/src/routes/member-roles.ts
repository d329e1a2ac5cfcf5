import { apiError } from '../errors.js';
import { canManageRole } from '../hierarchy.js';
import { param, type RouteContext, type RouteReply } from '../http.js';
import type { RouteDef } from '../router.js';
import type { World } from '../world.js';
import { guildForBot, memberOf, roleOf } from './access.js';

/**
 * Add / Remove Guild Member Role: 204, idempotent. 403/50013 when the bot lacks MANAGE_ROLES,
 * when the role is at or above the bot's highest role (ADMINISTRATOR doesn't help), or when the
 * role is managed or @everyone. Discord doesn't say which of these failed (discord-api-docs#1467).
 */
export function memberRoleRoutes(world: World): RouteDef[] {
  return (['PUT', 'DELETE'] as const).map((method) => ({
    method,
    pattern: '/guilds/:guildId/members/:userId/roles/:roleId',
    auth: 'bot',
    bucket: 'memberRoles',
    handle: (ctx: RouteContext) => changeMemberRole(world, ctx, method === 'PUT' ? 'add' : 'remove'),
  }));
}

function changeMemberRole(world: World, ctx: RouteContext, change: 'add' | 'remove'): RouteReply {
  const { state } = world;
  const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
  const member = memberOf(guild, param(ctx, 'userId'));
  const role = roleOf(guild, param(ctx, 'roleId'));
  if (!canManageRole(guild, state.botUser.id, role)) throw apiError('MissingPermissions');
  if (change === 'add') state.addMemberRole(guild.id, member.userId, role.id);
  else state.removeMemberRole(guild.id, member.userId, role.id);
  return { status: 204 };
}
