import { ChannelType } from 'discord-api-types/v10';
import { apiError, formError } from '../errors.js';
import { basePermissions } from '../hierarchy.js';
import { jsonBody, param } from '../http.js';
import { Permission, hasPermission } from '../permissions.js';
import type { RouteDef } from '../router.js';
import { channelJson, guildJson, roleJson, sortedRoles } from '../serialize.js';
import type { World } from '../world.js';
import { guildForBot, roleOf } from './access.js';

export function guildRoutes(world: World): RouteDef[] {
  const { state } = world;
  return [
    {
      method: 'GET',
      pattern: '/guilds/:guildId',
      auth: 'bot',
      bucket: 'guild',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'unknown');
        const withCounts = ctx.query.get('with_counts') === 'true';
        return { status: 200, body: guildJson(guild, withCounts, null) };
      },
    },
    {
      method: 'GET',
      pattern: '/guilds/:guildId/roles',
      auth: 'bot',
      bucket: 'guild',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        return { status: 200, body: sortedRoles(guild).map(roleJson) };
      },
    },
    {
      method: 'GET',
      pattern: '/guilds/:guildId/roles/:roleId',
      auth: 'bot',
      bucket: 'guild',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        return { status: 200, body: roleJson(roleOf(guild, param(ctx, 'roleId'))) };
      },
    },
    {
      method: 'GET',
      pattern: '/guilds/:guildId/channels',
      auth: 'bot',
      bucket: 'guildChannels',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        const channels = guild.channelIds.map((id) => state.channels.get(id)).filter((c) => c !== undefined);
        return { status: 200, body: channels.map((channel) => channelJson(state, channel)) };
      },
    },
    {
      method: 'POST',
      pattern: '/guilds/:guildId/channels',
      auth: 'bot',
      bucket: 'guildChannels',
      handle: (ctx) => {
        const guild = guildForBot(world, param(ctx, 'guildId'), 'access');
        const body = jsonBody(ctx);
        const name = body['name'];
        if (typeof name !== 'string' || name.length === 0) {
          formError(['name'], 'BASE_TYPE_REQUIRED', 'This field is required');
        }
        if (name.length > 100)
          formError(['name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
        const type = body['type'] ?? ChannelType.GuildText;
        if (type !== ChannelType.GuildText) {
          // The Local Discord only has text channels; Rolegate never creates others.
          formError(['type'], 'BASE_TYPE_CHOICES', 'Value must be one of {0}.');
        }
        if (!hasPermission(basePermissions(guild, state.botUser.id), Permission.ManageChannels)) {
          throw apiError('MissingPermissions');
        }
        return { status: 201, body: channelJson(state, state.createChannel(guild.id, name)) };
      },
    },
  ];
}
