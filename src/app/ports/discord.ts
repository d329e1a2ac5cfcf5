/**
 * Everything Rolegate asks of Discord. The adapter (src/adapters/discord) implements it on
 * @discordjs/rest; every failure it throws is a FailureError classified by owner.
 */
export interface DiscordMember {
  userId: string;
  roleIds: string[];
}

export interface DiscordPort {
  getMember(guildId: string, userId: string): Promise<DiscordMember | null>;
  addRole(guildId: string, userId: string, roleId: string, reason: string): Promise<void>;
  removeRole(guildId: string, userId: string, roleId: string, reason: string): Promise<void>;
}
