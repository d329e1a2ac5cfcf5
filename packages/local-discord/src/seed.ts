import type { LocalDiscord } from './index.js';

/** What `seedWorld` created: the ids a person or a script needs to find their way. */
export interface SeededWorld {
  guildId: string;
  guildName: string;
  ownerId: string;
  /** Roles below the bot's own role, so the bot may grant them. */
  roles: { member: string; vip: string };
  /** #general is null only if the guild was made without one (seedWorld always has it). */
  channels: { general: string | null; roles: string };
  /** alice and bob are members (alice has Member); carol is not in the guild yet. */
  users: { alice: string; bob: string; carol: string };
}

/** A small world to click around in: one guild with the bot, two grantable roles, three users. */
export function seedWorld(discord: LocalDiscord): SeededWorld {
  const owner = discord.createUser({ username: 'owner', globalName: 'Server Owner' });
  const users = {
    alice: discord.createUser({ username: 'alice', globalName: 'Alice' }).id,
    bob: discord.createUser({ username: 'bob', globalName: 'Bob' }).id,
    carol: discord.createUser({ username: 'carol', globalName: 'Carol' }).id,
  };
  const guild = discord.createGuild({ name: 'Demo Server', ownerId: owner.id });
  // New roles go just above @everyone, so below the bot's role: the bot may grant both.
  const member = discord.createRole(guild.id, { name: 'Member', color: 0x3ba55d, hoist: true }).id;
  const vip = discord.createRole(guild.id, { name: 'VIP', color: 0xfaa61a, hoist: true }).id;
  discord.addMember(guild.id, users.alice, [member]);
  discord.addMember(guild.id, users.bob);
  const roles = discord.createChannel(guild.id, 'roles').id;
  return {
    guildId: guild.id,
    guildName: guild.name,
    ownerId: owner.id,
    roles: { member, vip },
    channels: { general: guild.systemChannelId, roles },
    users,
  };
}
