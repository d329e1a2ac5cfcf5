/**
 * Can the bot grant a role? Mirrors Discord's hierarchy rules (reference/discord.md §4), so Rolegate
 * never sends a request that would come back 403 — and can tell the merchant exactly what to fix.
 */
export const MANAGE_ROLES = 1n << 28n;
export const ADMINISTRATOR = 1n << 3n;
export const KICK_MEMBERS = 1n << 1n;
export const CREATE_INSTANT_INVITE = 1n << 0n;

export interface RoleInfo {
  id: string;
  name: string;
  position: number;
  managed: boolean;
}

export interface BotStanding {
  guildId: string;
  /** The bot's own permissions in the guild (@everyone OR its roles), decimal string. */
  permissions: string;
  /** The bot's highest role, or null when it has only @everyone. */
  topRole: Pick<RoleInfo, 'id' | 'position' | 'name'> | null;
  isOwner: boolean;
}

export type RoleProblem =
  | { code: 'role_missing'; message: string }
  | { code: 'role_is_everyone'; message: string }
  | { code: 'role_managed'; message: string }
  | { code: 'missing_manage_roles'; message: string }
  | { code: 'role_above_bot'; message: string };

/** Discord orders equal positions by id: the lower id ranks higher. */
export function outranks(
  a: Pick<RoleInfo, 'id' | 'position'>,
  b: Pick<RoleInfo, 'id' | 'position'>,
): boolean {
  if (a.position !== b.position) return a.position > b.position;
  return BigInt(a.id) < BigInt(b.id);
}

/** Null when the bot can grant the role; otherwise what is wrong and how to fix it, in plain words. */
export function roleProblem(
  roleId: string,
  roles: readonly RoleInfo[],
  bot: BotStanding,
): RoleProblem | null {
  if (roleId === bot.guildId) {
    return {
      code: 'role_is_everyone',
      message: '@everyone cannot be sold: every member already has it. Pick another role.',
    };
  }
  const role = roles.find((r) => r.id === roleId);
  if (!role) {
    return {
      code: 'role_missing',
      message: `Role ${roleId} no longer exists in the server. Pick an existing role or create it again.`,
    };
  }
  if (role.managed) {
    return {
      code: 'role_managed',
      message: `"${role.name}" is managed by an integration (a bot, boosts or a linked app) and cannot be given by hand. Pick a normal role.`,
    };
  }
  if (bot.isOwner) return null;
  const perms = BigInt(bot.permissions);
  if ((perms & (MANAGE_ROLES | ADMINISTRATOR)) === 0n) {
    return {
      code: 'missing_manage_roles',
      message:
        'The Rolegate bot lacks the Manage Roles permission. Give its role Manage Roles in Server Settings → Roles.',
    };
  }
  if (!bot.topRole || !outranks(bot.topRole, role)) {
    return {
      code: 'role_above_bot',
      message: `Move the ${bot.topRole ? `"${bot.topRole.name}"` : 'Rolegate'} role above "${role.name}" in Server Settings → Roles: a bot can only give roles below its own highest role.`,
    };
  }
  return null;
}
