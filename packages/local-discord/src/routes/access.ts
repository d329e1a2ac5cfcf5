import { apiError } from '../errors.js';
import type { ChannelRecord, GuildRecord, MemberRecord, RoleRecord } from '../state.js';
import type { World } from '../world.js';

/**
 * The guild as the bot can see it. A guild the bot is not in answers like one that doesn't
 * exist on `GET /guilds/{id}` (10004, Discord changed this in 2023: discord-api-docs#5840) and
 * with 403/50001 Missing Access on the guild's sub-resources.
 */
export function guildForBot(world: World, guildId: string, ifBotAbsent: 'unknown' | 'access'): GuildRecord {
  const guild = world.state.guilds.get(guildId);
  if (!guild) throw apiError('UnknownGuild');
  if (!world.state.botInGuild(guild))
    throw apiError(ifBotAbsent === 'unknown' ? 'UnknownGuild' : 'MissingAccess');
  return guild;
}

export function memberOf(guild: GuildRecord, userId: string): MemberRecord {
  const member = guild.members.get(userId);
  if (!member) throw apiError('UnknownMember');
  return member;
}

export function roleOf(guild: GuildRecord, roleId: string): RoleRecord {
  const role = guild.roles.get(roleId);
  if (!role) throw apiError('UnknownRole');
  return role;
}

/** A channel the bot can see: 10003 if unknown, 50001 if its guild is closed to the bot. */
export function channelForBot(world: World, channelId: string): ChannelRecord {
  const channel = world.state.channels.get(channelId);
  if (!channel) throw apiError('UnknownChannel');
  if (channel.guildId !== null) {
    const guild = world.state.guilds.get(channel.guildId);
    if (!guild || !guild.channelIds.includes(channel.id)) throw apiError('UnknownChannel');
    if (!world.state.botInGuild(guild)) throw apiError('MissingAccess');
  }
  return channel;
}
