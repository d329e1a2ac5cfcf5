import {
  ChannelType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildVerificationLevel,
  Locale,
  type APIChannel,
  type APIDMChannel,
  type APIGuild,
  type APIGuildMember,
  type APIRole,
  type APITextChannel,
  type APIUser,
  type ChannelFlags,
  type GuildMemberFlags,
  type GuildSystemChannelFlags,
  type RoleFlags,
  type UserFlags,
} from 'discord-api-types/v10';
import type {
  ChannelRecord,
  DiscordState,
  GuildRecord,
  MemberRecord,
  RoleRecord,
  UserRecord,
} from './state.js';
import { sortedRoles } from './hierarchy.js';

// Discord sends 0 for "no flags"; the enums have no 0 member.
const NO_USER_FLAGS = 0 as UserFlags;
const NO_CHANNEL_FLAGS = 0 as ChannelFlags;
const NO_ROLE_FLAGS = 0 as RoleFlags;
const NO_MEMBER_FLAGS = 0 as GuildMemberFlags;

/** Turns the Local Discord's records into the exact JSON shapes Discord's API returns. */

export function userJson(user: UserRecord): APIUser {
  const json: APIUser = {
    id: user.id,
    username: user.username,
    discriminator: user.bot ? '0000' : '0',
    global_name: user.globalName,
    avatar: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
    public_flags: NO_USER_FLAGS,
    flags: NO_USER_FLAGS,
    banner: null,
    accent_color: null,
  };
  if (user.bot) json.bot = true;
  return json;
}

/** `GET /users/@me` adds private fields to the public user. */
export function currentUserJson(user: UserRecord): APIUser {
  return { ...userJson(user), mfa_enabled: false, locale: 'en-US', premium_type: 0 };
}

export function roleJson(role: RoleRecord): APIRole {
  const json: APIRole = {
    id: role.id,
    name: role.name,
    color: role.color,
    colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
    hoist: role.hoist,
    icon: null,
    unicode_emoji: null,
    position: role.position,
    permissions: role.permissions.toString(),
    managed: role.managed,
    mentionable: role.mentionable,
    flags: NO_ROLE_FLAGS,
  };
  if (role.tags) json.tags = { ...role.tags };
  return json;
}

export { sortedRoles } from './hierarchy.js';

export function memberJson(state: DiscordState, member: MemberRecord): APIGuildMember {
  return {
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    flags: NO_MEMBER_FLAGS,
    joined_at: member.joinedAt,
    nick: member.nick,
    pending: false,
    premium_since: null,
    roles: [...member.roleIds],
    collectibles: null,
    user: userJson(state.requireUser(member.userId)),
    mute: false,
    deaf: false,
  };
}

export function guildJson(guild: GuildRecord, withCounts: boolean, applicationId: string | null): APIGuild {
  const json: APIGuild = {
    id: guild.id,
    name: guild.name,
    icon: null,
    description: null,
    splash: null,
    discovery_splash: null,
    features: [],
    banner: null,
    owner_id: guild.ownerId,
    application_id: applicationId,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    system_channel_id: guild.systemChannelId,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: GuildVerificationLevel.None,
    roles: sortedRoles(guild).map(roleJson),
    default_message_notifications: GuildDefaultMessageNotifications.AllMessages,
    mfa_level: GuildMFALevel.None,
    explicit_content_filter: GuildExplicitContentFilter.Disabled,
    max_presences: null,
    max_members: 25_000_000,
    max_stage_video_channel_users: 50,
    max_video_channel_users: 25,
    vanity_url_code: null,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    preferred_locale: Locale.EnglishUS,
    rules_channel_id: null,
    safety_alerts_channel_id: null,
    public_updates_channel_id: null,
    hub_type: null,
    premium_progress_bar_enabled: false,
    nsfw_level: GuildNSFWLevel.Default,
    emojis: [],
    stickers: [],
    incidents_data: null,
  };
  if (withCounts) {
    json.approximate_member_count = guild.members.size;
    json.approximate_presence_count = 0;
  }
  return json;
}

export function channelJson(state: DiscordState, channel: ChannelRecord): APIChannel {
  if (channel.type === 1) {
    const recipient = state.requireUser(channel.recipientId ?? '');
    const dm: APIDMChannel = {
      id: channel.id,
      type: ChannelType.DM,
      last_message_id: channel.lastMessageId,
      flags: NO_CHANNEL_FLAGS,
      recipients: [userJson(recipient)],
      name: null,
    };
    return dm;
  }
  const text: APITextChannel = {
    id: channel.id,
    type: ChannelType.GuildText,
    last_message_id: channel.lastMessageId,
    flags: NO_CHANNEL_FLAGS,
    guild_id: channel.guildId ?? '',
    name: channel.name ?? '',
    parent_id: null,
    rate_limit_per_user: 0,
    topic: null,
    position: channel.position,
    permission_overwrites: [],
    nsfw: false,
  };
  return text;
}
