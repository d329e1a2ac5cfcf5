import type { APIMessage, APIRoleTags } from 'discord-api-types/v10';
import {
  ALL_PERMISSIONS,
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  Permission,
  hasPermission,
  toPermissionBits,
  type PermissionsInput,
} from './permissions.js';
import { SnowflakeFactory, compareSnowflakes } from './snowflake.js';

export interface UserRecord {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
  dmsClosed: boolean;
  /** Guilds the user is in outside this Local Discord (counts towards the 100-guild cap). */
  externalGuildCount: number;
}

export interface RoleRecord {
  id: string;
  name: string;
  color: number;
  position: number;
  permissions: bigint;
  managed: boolean;
  hoist: boolean;
  mentionable: boolean;
  tags?: APIRoleTags;
}

export interface MemberRecord {
  userId: string;
  roleIds: string[];
  joinedAt: string;
  nick: string | null;
}

export interface GuildRecord {
  id: string;
  name: string;
  ownerId: string;
  roles: Map<string, RoleRecord>;
  members: Map<string, MemberRecord>;
  bans: Set<string>;
  channelIds: string[];
  systemChannelId: string | null;
  /** The managed role Discord creates for the bot on install; null while the bot is out. */
  botRoleId: string | null;
}

export interface ChannelRecord {
  id: string;
  /** 0 = guild text, 1 = DM. */
  type: 0 | 1;
  guildId: string | null;
  name: string | null;
  position: number;
  recipientId: string | null;
  messages: Map<string, APIMessage>;
  lastMessageId: string | null;
}

export interface NewRole {
  name: string;
  /** Raw position; omitted = Discord's default for new roles (1, pushing the others up). */
  position?: number;
  permissions?: PermissionsInput;
  managed?: boolean;
  tags?: APIRoleTags;
  color?: number;
  hoist?: boolean;
  mentionable?: boolean;
}

/** The Local Discord's world: users, guilds, roles, members, channels. No HTTP in here. */
export class DiscordState {
  readonly users = new Map<string, UserRecord>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  private readonly dmChannelByUser = new Map<string, string>();
  readonly ids: SnowflakeFactory;
  readonly botUser: UserRecord;
  membersIntent = true;

  constructor(
    readonly now: () => number,
    readonly applicationName: string,
  ) {
    this.ids = new SnowflakeFactory(now);
    this.botUser = this.createUser({ username: applicationName, bot: true });
  }

  createUser(input: { username: string; globalName?: string | null; bot?: boolean }): UserRecord {
    const user: UserRecord = {
      id: this.ids.next(),
      username: input.username,
      globalName: input.globalName ?? null,
      bot: input.bot ?? false,
      dmsClosed: false,
      externalGuildCount: 0,
    };
    this.users.set(user.id, user);
    return user;
  }

  requireUser(userId: string): UserRecord {
    const user = this.users.get(userId);
    if (!user) throw new Error(`Local Discord: no user ${userId}`);
    return user;
  }

  requireGuild(guildId: string): GuildRecord {
    const guild = this.guilds.get(guildId);
    if (!guild) throw new Error(`Local Discord: no guild ${guildId}`);
    return guild;
  }

  createGuild(input: { name: string; ownerId?: string; withBot?: boolean }): GuildRecord {
    const id = this.ids.next();
    const ownerId = input.ownerId ?? this.createUser({ username: `${input.name} owner` }).id;
    this.requireUser(ownerId);
    const guild: GuildRecord = {
      id,
      name: input.name,
      ownerId,
      roles: new Map(),
      members: new Map(),
      bans: new Set(),
      channelIds: [],
      systemChannelId: null,
      botRoleId: null,
    };
    guild.roles.set(id, {
      id,
      name: '@everyone',
      color: 0,
      position: 0,
      permissions: DEFAULT_EVERYONE_PERMISSIONS,
      managed: false,
      hoist: false,
      mentionable: false,
    });
    this.guilds.set(id, guild);
    this.addMember(id, ownerId);
    guild.systemChannelId = this.createChannel(id, 'general').id;
    if (input.withBot ?? true) this.addBot(id, DEFAULT_BOT_PERMISSIONS);
    return guild;
  }

  createRole(guildId: string, input: NewRole): RoleRecord {
    const guild = this.requireGuild(guildId);
    if (input.position === undefined) {
      // Discord puts new roles just above @everyone and shifts the rest up.
      for (const role of guild.roles.values()) if (role.position >= 1) role.position += 1;
    }
    const managed = input.managed ?? false;
    const id = this.ids.next();
    const role: RoleRecord = {
      id,
      name: input.name,
      color: input.color ?? 0,
      position: input.position ?? 1,
      permissions: input.permissions === undefined ? 0n : toPermissionBits(input.permissions),
      managed,
      hoist: input.hoist ?? false,
      mentionable: input.mentionable ?? false,
    };
    const tags = input.tags ?? (managed ? { integration_id: this.ids.next() } : undefined);
    if (tags) role.tags = tags;
    guild.roles.set(id, role);
    return role;
  }

  requireRole(guildId: string, roleId: string): RoleRecord {
    const role = this.requireGuild(guildId).roles.get(roleId);
    if (!role) throw new Error(`Local Discord: no role ${roleId} in guild ${guildId}`);
    return role;
  }

  deleteRole(guildId: string, roleId: string): void {
    const guild = this.requireGuild(guildId);
    if (roleId === guildId) throw new Error('Local Discord: @everyone cannot be deleted');
    this.requireRole(guildId, roleId);
    guild.roles.delete(roleId);
    for (const member of guild.members.values()) {
      member.roleIds = member.roleIds.filter((id) => id !== roleId);
    }
    if (guild.botRoleId === roleId) guild.botRoleId = null;
  }

  addBot(guildId: string, permissions: PermissionsInput): void {
    const guild = this.requireGuild(guildId);
    if (guild.members.has(this.botUser.id)) {
      if (guild.botRoleId)
        this.requireRole(guildId, guild.botRoleId).permissions = toPermissionBits(permissions);
      return;
    }
    const role = this.createRole(guildId, {
      name: this.applicationName,
      permissions,
      managed: true,
      tags: { bot_id: this.botUser.id },
    });
    guild.botRoleId = role.id;
    this.addMember(guildId, this.botUser.id, [role.id]);
  }

  /** The bot leaves (or is kicked): Discord deletes its managed role with it. */
  removeBot(guildId: string): void {
    const guild = this.requireGuild(guildId);
    guild.members.delete(this.botUser.id);
    if (guild.botRoleId) this.deleteRole(guildId, guild.botRoleId);
  }

  botInGuild(guild: GuildRecord): boolean {
    return guild.members.has(this.botUser.id);
  }

  addMember(guildId: string, userId: string, roleIds: readonly string[] = []): MemberRecord {
    const guild = this.requireGuild(guildId);
    this.requireUser(userId);
    if (guild.bans.has(userId)) throw new Error(`Local Discord: user ${userId} is banned from ${guildId}`);
    for (const roleId of roleIds) {
      this.requireRole(guildId, roleId);
      if (roleId === guildId) throw new Error('Local Discord: @everyone is implicit, not a member role');
    }
    const existing = guild.members.get(userId);
    if (existing) {
      for (const roleId of roleIds) if (!existing.roleIds.includes(roleId)) existing.roleIds.push(roleId);
      return existing;
    }
    const member: MemberRecord = {
      userId,
      roleIds: [...new Set(roleIds)],
      joinedAt: new Date(this.now()).toISOString(),
      nick: null,
    };
    guild.members.set(userId, member);
    return member;
  }

  banUser(guildId: string, userId: string): void {
    const guild = this.requireGuild(guildId);
    this.requireUser(userId);
    guild.members.delete(userId);
    guild.bans.add(userId);
  }

  /** How many guilds Discord would count for the user's 100-guild cap. */
  guildCount(userId: string): number {
    let count = this.requireUser(userId).externalGuildCount;
    for (const guild of this.guilds.values()) if (guild.members.has(userId)) count += 1;
    return count;
  }

  setUserGuildCount(userId: string, total: number): void {
    const user = this.requireUser(userId);
    user.externalGuildCount = 0;
    user.externalGuildCount = Math.max(0, total - this.guildCount(userId));
  }

  createChannel(guildId: string, name: string): ChannelRecord {
    const guild = this.requireGuild(guildId);
    const channel: ChannelRecord = {
      id: this.ids.next(),
      type: 0,
      guildId,
      name,
      position: guild.channelIds.length,
      recipientId: null,
      messages: new Map(),
      lastMessageId: null,
    };
    this.channels.set(channel.id, channel);
    guild.channelIds.push(channel.id);
    return channel;
  }

  dmChannel(recipientId: string): ChannelRecord {
    const existing = this.dmChannelByUser.get(recipientId);
    const found = existing === undefined ? undefined : this.channels.get(existing);
    if (found) return found;
    const channel: ChannelRecord = {
      id: this.ids.next(),
      type: 1,
      guildId: null,
      name: null,
      position: 0,
      recipientId,
      messages: new Map(),
      lastMessageId: null,
    };
    this.channels.set(channel.id, channel);
    this.dmChannelByUser.set(recipientId, channel.id);
    return channel;
  }

  dmChannelIdOf(userId: string): string | undefined {
    return this.dmChannelByUser.get(userId);
  }

  /** True when the bot and the user share a guild (Discord refuses DMs otherwise: 50278). */
  sharesGuildWithBot(userId: string): boolean {
    for (const guild of this.guilds.values()) {
      if (guild.members.has(userId) && this.botInGuild(guild)) return true;
    }
    return false;
  }

  // ---- permissions and hierarchy (docs: topics/permissions) ----

  /** Base permissions: owner → all; else @everyone | member roles; ADMINISTRATOR → all. */
  basePermissions(guild: GuildRecord, userId: string): bigint {
    if (guild.ownerId === userId) return ALL_PERMISSIONS;
    let bits = guild.roles.get(guild.id)?.permissions ?? 0n;
    const member = guild.members.get(userId);
    for (const roleId of member?.roleIds ?? []) bits |= guild.roles.get(roleId)?.permissions ?? 0n;
    return (bits & Permission.Administrator) !== 0n ? ALL_PERMISSIONS : bits;
  }

  /** The member's highest role; @everyone when it has none. */
  highestRole(guild: GuildRecord, userId: string): RoleRecord | undefined {
    let top = guild.roles.get(guild.id);
    for (const roleId of guild.members.get(userId)?.roleIds ?? []) {
      const role = guild.roles.get(roleId);
      if (role && (!top || outranks(role, top))) top = role;
    }
    return top;
  }

  /**
   * Whether `actorId` may add or remove `role`. Managed roles and @everyone never; otherwise the
   * owner always, anyone else needs MANAGE_ROLES (ADMINISTRATOR counts) AND a highest role that
   * outranks the role — ADMINISTRATOR does not bypass the hierarchy.
   */
  canManageRole(guild: GuildRecord, actorId: string, role: RoleRecord): boolean {
    if (role.managed || role.id === guild.id) return false;
    if (guild.ownerId === actorId) return true;
    if (!hasPermission(this.basePermissions(guild, actorId), Permission.ManageRoles)) return false;
    const top = this.highestRole(guild, actorId);
    return top !== undefined && outranks(top, role);
  }

  canKick(guild: GuildRecord, actorId: string, targetId: string): boolean {
    if (targetId === guild.ownerId || targetId === actorId) return false;
    if (guild.ownerId === actorId) return true;
    if (!hasPermission(this.basePermissions(guild, actorId), Permission.KickMembers)) return false;
    const mine = this.highestRole(guild, actorId);
    const theirs = this.highestRole(guild, targetId);
    return mine !== undefined && theirs !== undefined && outranks(mine, theirs);
  }
}

/** Higher position wins; on equal positions the lower id ranks higher. */
export function outranks(a: RoleRecord, b: RoleRecord): boolean {
  if (a.position !== b.position) return a.position > b.position;
  return compareSnowflakes(a.id, b.id) < 0;
}
