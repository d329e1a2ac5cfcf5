import { ALL_PERMISSIONS, Permission, hasPermission } from './permissions.js';
import { compareSnowflakes } from './snowflake.js';
import type { GuildRecord, RoleRecord } from './state.js';

/** Permissions and the role hierarchy (docs: topics/permissions). Pure functions of one guild. */

/** Base permissions: owner → all; else @everyone | member roles; ADMINISTRATOR → all. */
export function basePermissions(guild: GuildRecord, userId: string): bigint {
  if (guild.ownerId === userId) return ALL_PERMISSIONS;
  let bits = guild.roles.get(guild.id)?.permissions ?? 0n;
  for (const roleId of guild.members.get(userId)?.roleIds ?? [])
    bits |= guild.roles.get(roleId)?.permissions ?? 0n;
  return (bits & Permission.Administrator) !== 0n ? ALL_PERMISSIONS : bits;
}

/** The member's highest role; @everyone when it has none. */
export function highestRole(guild: GuildRecord, userId: string): RoleRecord | undefined {
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
export function canManageRole(guild: GuildRecord, actorId: string, role: RoleRecord): boolean {
  if (role.managed || role.id === guild.id) return false;
  if (guild.ownerId === actorId) return true;
  if (!hasPermission(basePermissions(guild, actorId), Permission.ManageRoles)) return false;
  const top = highestRole(guild, actorId);
  return top !== undefined && outranks(top, role);
}

export function canKick(guild: GuildRecord, actorId: string, targetId: string): boolean {
  if (targetId === guild.ownerId || targetId === actorId) return false;
  if (guild.ownerId === actorId) return true;
  if (!hasPermission(basePermissions(guild, actorId), Permission.KickMembers)) return false;
  const mine = highestRole(guild, actorId);
  const theirs = highestRole(guild, targetId);
  return mine !== undefined && theirs !== undefined && outranks(mine, theirs);
}

/** Higher position wins; on equal positions the lower id ranks higher. */
export function outranks(a: RoleRecord, b: RoleRecord): boolean {
  if (a.position !== b.position) return a.position > b.position;
  return compareSnowflakes(a.id, b.id) < 0;
}

/** Roles in Discord's order: by position, equal positions by id (the higher id sorts lower). */
export function sortedRoles(guild: GuildRecord): RoleRecord[] {
  return [...guild.roles.values()].sort((a, b) => a.position - b.position || compareSnowflakes(b.id, a.id));
}
