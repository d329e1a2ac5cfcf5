import type { APIMessage } from 'discord-api-types/v10';
import { WorldEvents } from './events.js';
import type { PrivilegedIntent } from './gateway/protocol.js';
import { MemberTable, type MemberRecord } from './member-table.js';
import {
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  toPermissionBits,
  type PermissionsInput,
} from './permissions.js';
import { RoleLists } from './role-lists.js';
import { RoleBook, type RoleRecord } from './role-book.js';
import { SnowflakeFactory } from './snowflake.js';
import { UserTable, type UserRecord } from './user-table.js';

export type { MemberRecord } from './member-table.js';
export type { UserRecord } from './user-table.js';
export type { NewRole, RoleRecord } from './role-book.js';

export interface GuildRecord {
  id: string;
  name: string;
  ownerId: string;
  roles: Map<string, RoleRecord>;
  members: MemberTable;
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

/**
 * The Local Discord's world: users, guilds, roles, members, channels. No HTTP in here. Every
 * change to members, roles and the bot's guilds goes through a method here, which emits the
 * matching `WorldChange` on `events` (the gateway turns them into dispatches).
 */
export class DiscordState {
  readonly users = new UserTable();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly events = new WorldEvents();
  readonly roles: RoleBook;
  private readonly roleLists = new RoleLists();
  private readonly dmChannelByUser = new Map<string, string>();
  readonly ids: SnowflakeFactory;
  readonly botUser: UserRecord;
  /** Privileged intents switched on for the application (the developer portal's toggles). */
  readonly privilegedIntents = new Set<PrivilegedIntent>(['GuildMembers']);

  /** GUILD_MEMBERS: gates List Guild Members (403/50001 without it) and identify (4014). */
  get membersIntent(): boolean {
    return this.privilegedIntents.has('GuildMembers');
  }

  set membersIntent(enabled: boolean) {
    if (enabled) this.privilegedIntents.add('GuildMembers');
    else this.privilegedIntents.delete('GuildMembers');
  }

  constructor(
    readonly now: () => number,
    readonly applicationName: string,
  ) {
    this.ids = new SnowflakeFactory(now);
    this.roles = new RoleBook(this);
    this.botUser = this.createUser({ username: applicationName, bot: true });
  }

  createUser(input: { username: string; globalName?: string | null; bot?: boolean }): UserRecord {
    const slot = this.users.add({ id: this.ids.nextBigInt(), ...input });
    return this.users.at(slot);
  }

  requireUser(userId: string): UserRecord {
    const user = this.users.get(userId);
    if (!user) throw new Error(`Local Discord: no user ${userId}`);
    return user;
  }

  setDmsClosed(userId: string, closed: boolean): void {
    this.users.setDmsClosed(this.requireSlot(userId), closed);
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
      members: new MemberTable(this.users, this.roleLists),
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

  /** The bot joins (GUILD_CREATE) with a fresh managed role; if it is in, its role's permissions are set. */
  addBot(guildId: string, permissions: PermissionsInput): void {
    const guild = this.requireGuild(guildId);
    if (this.botInGuild(guild)) {
      if (guild.botRoleId)
        this.roles.update(guildId, guild.botRoleId, { permissions: toPermissionBits(permissions) });
      return;
    }
    const role = this.roles.create(guildId, {
      name: this.applicationName,
      permissions,
      managed: true,
      tags: { bot_id: this.botUser.id },
    });
    guild.botRoleId = role.id;
    // The bot learns about its own arrival from GUILD_CREATE, not GUILD_MEMBER_ADD.
    guild.members.add(this.botUser.id, [role.id], this.now());
    this.events.emit({ kind: 'botJoined', guildId });
  }

  /** The bot leaves (or is kicked): GUILD_DELETE, then Discord deletes its managed role. */
  removeBot(guildId: string): void {
    const guild = this.requireGuild(guildId);
    if (!guild.members.remove(this.botUser.id)) return;
    this.events.emit({ kind: 'botRemoved', guildId });
    if (guild.botRoleId) this.roles.delete(guildId, guild.botRoleId);
  }

  botInGuild(guild: GuildRecord): boolean {
    return guild.members.has(this.botUser.id);
  }

  /** Adds the member (GUILD_MEMBER_ADD), or adds roles to an existing one (GUILD_MEMBER_UPDATE). */
  addMember(guildId: string, userId: string, roleIds: readonly string[] = []): MemberRecord {
    const guild = this.requireGuild(guildId);
    this.requireUser(userId);
    if (guild.bans.has(userId)) throw new Error(`Local Discord: user ${userId} is banned from ${guildId}`);
    for (const roleId of roleIds) {
      this.roles.require(guildId, roleId);
      if (roleId === guildId) throw new Error('Local Discord: @everyone is implicit, not a member role');
    }
    const existing = guild.members.get(userId);
    if (existing) {
      this.setMemberRoles(guildId, userId, [...existing.roleIds, ...roleIds]);
      return this.requireMember(guild, userId);
    }
    const member = guild.members.add(userId, roleIds, this.now());
    this.events.emit({ kind: 'memberAdded', guildId, userId });
    return member;
  }

  /** Leave, kick or ban: GUILD_MEMBER_REMOVE. False when the user was not a member. */
  removeMember(guildId: string, userId: string): boolean {
    const guild = this.requireGuild(guildId);
    if (userId === this.botUser.id) throw new Error('Local Discord: use removeBot for the bot');
    if (!guild.members.remove(userId)) return false;
    this.events.emit({ kind: 'memberRemoved', guildId, userId });
    return true;
  }

  /** Replaces the member's roles (GUILD_MEMBER_UPDATE when they change). */
  setMemberRoles(guildId: string, userId: string, roleIds: readonly string[]): void {
    const guild = this.requireGuild(guildId);
    this.requireMember(guild, userId);
    for (const roleId of roleIds) this.roles.require(guildId, roleId);
    if (guild.members.setRoles(userId, roleIds)) this.events.emit({ kind: 'memberUpdated', guildId, userId });
  }

  addMemberRole(guildId: string, userId: string, roleId: string): void {
    const member = this.requireMember(this.requireGuild(guildId), userId);
    if (!member.roleIds.includes(roleId)) this.setMemberRoles(guildId, userId, [...member.roleIds, roleId]);
  }

  removeMemberRole(guildId: string, userId: string, roleId: string): void {
    const member = this.requireMember(this.requireGuild(guildId), userId);
    if (member.roleIds.includes(roleId))
      this.setMemberRoles(
        guildId,
        userId,
        member.roleIds.filter((id) => id !== roleId),
      );
  }

  requireMember(guild: GuildRecord, userId: string): MemberRecord {
    const member = guild.members.get(userId);
    if (!member) throw new Error(`Local Discord: ${userId} is not a member of ${guild.id}`);
    return member;
  }

  /**
   * `count` new users who are members of the guild, named `${usernamePrefix}0…`, with the roles
   * `rolesOf(i)` gives (interned: pass few distinct lists). A silent bulk load: no events.
   * Returns the first new user's slot; `userIdAt(firstSlot + i)` gives the i-th id.
   */
  populateGuild(
    guildId: string,
    count: number,
    usernamePrefix: string,
    rolesOf: (index: number) => readonly string[],
  ): number {
    const guild = this.requireGuild(guildId);
    const firstSlot = this.users.addGenerated(count, usernamePrefix, () => this.ids.nextBigInt());
    const listOf = new Map<readonly string[], number>();
    guild.members.addRange(firstSlot, count, this.now(), (index) => {
      const roleIds = rolesOf(index);
      let list = listOf.get(roleIds);
      if (list === undefined) {
        for (const roleId of roleIds) this.roles.require(guildId, roleId);
        list = this.roleLists.intern(roleIds);
        listOf.set(roleIds, list);
      }
      return list;
    });
    return firstSlot;
  }

  banUser(guildId: string, userId: string): void {
    const guild = this.requireGuild(guildId);
    this.requireUser(userId);
    this.removeMember(guildId, userId);
    guild.bans.add(userId);
  }

  /** How many guilds Discord would count for the user's 100-guild cap. */
  guildCount(userId: string): number {
    let count = this.requireUser(userId).externalGuildCount;
    for (const guild of this.guilds.values()) if (guild.members.has(userId)) count += 1;
    return count;
  }

  setUserGuildCount(userId: string, total: number): void {
    const slot = this.requireSlot(userId);
    this.users.setExternalGuildCount(slot, 0);
    this.users.setExternalGuildCount(slot, Math.max(0, total - this.guildCount(userId)));
  }

  createChannel(guildId: string, name: string): ChannelRecord {
    const guild = this.requireGuild(guildId);
    const channel = this.newChannel({ type: 0, guildId, name, position: guild.channelIds.length });
    guild.channelIds.push(channel.id);
    return channel;
  }

  dmChannel(recipientId: string): ChannelRecord {
    const existing = this.dmChannelByUser.get(recipientId);
    const found = existing === undefined ? undefined : this.channels.get(existing);
    if (found) return found;
    const channel = this.newChannel({ type: 1, recipientId });
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

  private newChannel(input: Partial<ChannelRecord> & { type: 0 | 1 }): ChannelRecord {
    const channel: ChannelRecord = {
      id: this.ids.next(),
      guildId: null,
      name: null,
      position: 0,
      recipientId: null,
      messages: new Map(),
      lastMessageId: null,
      ...input,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  private requireSlot(userId: string): number {
    const slot = this.users.slotOf(userId);
    if (slot === -1) throw new Error(`Local Discord: no user ${userId}`);
    return slot;
  }
}
