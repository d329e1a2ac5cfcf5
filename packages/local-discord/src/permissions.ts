import { PermissionFlagsBits } from 'discord-api-types/v10';

/** Permission bits Rolegate and the Local Discord care about (docs: topics/permissions). */
export const Permission = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  BanMembers: 1n << 2n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  ReadMessageHistory: 1n << 16n,
  ManageRoles: 1n << 28n,
} as const;

/** Every permission bit Discord defines: what owners and administrators have. */
export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((all, bit) => all | bit, 0n);

/** What a merchant grants when installing Rolegate with the kick option (268454915). */
export const DEFAULT_BOT_PERMISSIONS =
  Permission.ManageRoles |
  Permission.CreateInstantInvite |
  Permission.KickMembers |
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks;

/**
 * Permissions of a fresh guild's @everyone role as Discord creates it. It includes
 * CREATE_INSTANT_INVITE, VIEW_CHANNEL, SEND_MESSAGES and READ_MESSAGE_HISTORY, so in a real
 * guild the bot usually has those through @everyone even when its own role lacks them.
 */
export const DEFAULT_EVERYONE_PERMISSIONS = 1_071_698_660_929n;

export type PermissionsInput = bigint | number | string;

export function toPermissionBits(value: PermissionsInput): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (!/^\d+$/.test(value)) throw new TypeError(`permissions must be a decimal bitfield, got ${value}`);
  return BigInt(value);
}

export function hasPermission(bits: bigint, flag: bigint): boolean {
  return (bits & Permission.Administrator) !== 0n || (bits & flag) === flag;
}
