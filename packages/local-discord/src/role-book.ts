import type { APIRoleTags } from 'discord-api-types/v10';
import { highestRole, sortedRoles } from './hierarchy.js';
import { toPermissionBits, type PermissionsInput } from './permissions.js';
import type { DiscordState, GuildRecord } from './state.js';

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

/**
 * Roles of every guild: creation, edits, moves and deletion, each emitting GUILD_ROLE_* changes.
 * A move renumbers the guild's roles 1…n like Discord's Modify Guild Role Positions, and every
 * role whose position changed gets its own GUILD_ROLE_UPDATE.
 */
export class RoleBook {
  constructor(private readonly state: DiscordState) {}

  create(guildId: string, input: NewRole): RoleRecord {
    const guild = this.state.requireGuild(guildId);
    const before = positionsOf(guild);
    if (input.position === undefined) {
      // Discord puts new roles just above @everyone and shifts the rest up.
      for (const role of guild.roles.values()) if (role.position >= 1) role.position += 1;
    }
    const managed = input.managed ?? false;
    const role: RoleRecord = {
      id: this.state.ids.next(),
      name: input.name,
      color: input.color ?? 0,
      position: input.position ?? 1,
      permissions: input.permissions === undefined ? 0n : toPermissionBits(input.permissions),
      managed,
      hoist: input.hoist ?? false,
      mentionable: input.mentionable ?? false,
    };
    const tags = input.tags ?? (managed ? { integration_id: this.state.ids.next() } : undefined);
    if (tags) role.tags = tags;
    guild.roles.set(role.id, role);
    this.state.events.emit({ kind: 'roleCreated', guildId, roleId: role.id });
    this.announceMoves(guild, before);
    return role;
  }

  require(guildId: string, roleId: string): RoleRecord {
    const role = this.state.requireGuild(guildId).roles.get(roleId);
    if (!role) throw new Error(`Local Discord: no role ${roleId} in guild ${guildId}`);
    return role;
  }

  /** Name, colour or permissions; `position` here is raw (equal positions allowed, then the lower id ranks higher). */
  update(
    guildId: string,
    roleId: string,
    patch: Partial<Pick<RoleRecord, 'name' | 'color' | 'permissions' | 'position'>>,
  ): void {
    const role = this.require(guildId, roleId);
    Object.assign(role, patch);
    this.state.events.emit({ kind: 'roleUpdated', guildId, roleId });
  }

  /** Moves the role to `position` and renumbers the others 1…n, as a drag in Discord's role list does. */
  move(guildId: string, roleId: string, position: number): void {
    const guild = this.state.requireGuild(guildId);
    const role = this.require(guildId, roleId);
    if (roleId === guildId) throw new Error('Local Discord: @everyone stays at position 0');
    const others = sortedRoles(guild).filter((r) => r.id !== guildId && r.id !== roleId);
    const index = Math.min(Math.max(position - 1, 0), others.length);
    this.renumber(guild, [...others.slice(0, index), role, ...others.slice(index)]);
  }

  /** A moderator drags the role just above the bot's highest role: the bot can no longer grant it. */
  moveAboveBot(guildId: string, roleId: string): void {
    const guild = this.state.requireGuild(guildId);
    const role = this.require(guildId, roleId);
    const botTop = highestRole(guild, this.state.botUser.id);
    if (!botTop || botTop.id === guildId) throw new Error(`Local Discord: the bot has no role in ${guildId}`);
    const others = sortedRoles(guild).filter((r) => r.id !== guildId && r.id !== roleId);
    const index = others.findIndex((r) => r.id === botTop.id) + 1;
    this.renumber(guild, [...others.slice(0, index), role, ...others.slice(index)]);
  }

  /** Deletes the role and takes it from every member (Discord sends GUILD_ROLE_DELETE only). */
  delete(guildId: string, roleId: string): void {
    const guild = this.state.requireGuild(guildId);
    if (roleId === guildId) throw new Error('Local Discord: @everyone cannot be deleted');
    this.require(guildId, roleId);
    guild.roles.delete(roleId);
    guild.members.dropRole(roleId);
    if (guild.botRoleId === roleId) guild.botRoleId = null;
    this.state.events.emit({ kind: 'roleDeleted', guildId, roleId });
  }

  private renumber(guild: GuildRecord, ordered: readonly RoleRecord[]): void {
    const before = positionsOf(guild);
    ordered.forEach((role, index) => {
      role.position = index + 1;
    });
    this.announceMoves(guild, before);
  }

  private announceMoves(guild: GuildRecord, before: ReadonlyMap<string, number>): void {
    for (const [roleId, position] of before) {
      if (guild.roles.get(roleId)?.position !== position)
        this.state.events.emit({ kind: 'roleUpdated', guildId: guild.id, roleId });
    }
  }
}

function positionsOf(guild: GuildRecord): Map<string, number> {
  return new Map([...guild.roles.values()].map((role) => [role.id, role.position]));
}
