import { API } from '@discordjs/core/http-only';
import { DiscordAPIError, REST, type RESTOptions } from '@discordjs/rest';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from '../src/index.js';

export interface Harness {
  discord: LocalDiscord;
  rest: REST;
  api: API;
}

/** A Local Discord and the real @discordjs/rest client pointed at it, unchanged. */
export async function startHarness(
  options: StartLocalDiscordOptions = {},
  restOptions: Partial<RESTOptions> = {},
): Promise<Harness> {
  const discord = await startLocalDiscord(options);
  const rest = new REST({ api: `${discord.url}/api`, version: '10', ...restOptions }).setToken(
    discord.botToken,
  );
  return { discord, rest, api: new API(rest) };
}

/** The DiscordAPIError a call rejects with (fails the test if it resolves or throws anything else). */
export async function discordError(call: Promise<unknown>): Promise<DiscordAPIError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof DiscordAPIError) return error;
    throw error;
  }
  throw new Error('expected the call to fail with a DiscordAPIError');
}

/** A guild with the bot, a role the bot may grant, and one member. */
export function shop(discord: LocalDiscord): {
  guildId: string;
  roleId: string;
  userId: string;
  botRoleId: string;
} {
  const guild = discord.createGuild({ name: 'Shop' });
  const role = discord.createRole(guild.id, { name: 'VIP' });
  const user = discord.createUser({ username: 'alice' });
  discord.addMember(guild.id, user.id);
  if (guild.botRoleId === null) throw new Error('bot role expected');
  return { guildId: guild.id, roleId: role.id, userId: user.id, botRoleId: guild.botRoleId };
}

/** A clock that moves only when told, for the `clock` option (token and code expiry, timestamps). */
export class ManualClock {
  constructor(private time = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
