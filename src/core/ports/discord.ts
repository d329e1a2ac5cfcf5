import type {
  APIInteractionResponseCallbackData,
  RESTPatchAPIChannelMessageJSONBody,
  RESTPostAPIChannelMessageJSONBody,
  RESTPostAPIInteractionFollowupJSONBody,
  RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord-api-types/v10';

/**
 * Everything Rolegate asks of Discord. The adapter (src/adapters/discord/rest.ts) implements it on
 * @discordjs/rest + @discordjs/core; tests point it at the local Discord (@rolegate/local-discord).
 *
 * Contract for every method: on failure it throws a `FailureError` whose `failure` comes from
 * `classifyDiscordError` (src/adapters/discord/classify.ts): owner retry | merchant | customer | bug,
 * a stable `code` (e.g. `discord_50013`, `discord_rate_limited`) and plain words. Callers never see
 * a raw DiscordAPIError. Every mutating call takes a `reason` that goes to the audit log, visible
 * to server staff: put ids there (`Rolegate grant grt_… (event evt_…)`), never emails.
 *
 * Notes for other helpers (Discord UX: interactions, roles channel, linking, claim codes):
 * - Only src/app/access/apply.ts (roles, for member sync and reconcile) and member sync (membership)
 *   change Discord (decision 0013). To give or take roles,
 *   change the grant/customer in the database and call `enqueueMemberSync` (src/app/grants/grants.ts);
 *   do not call addRole/removeRole/addMember/kickMember yourself.
 * - Messages, DMs, channels, interaction follow-ups, OAuth and command registration are yours.
 * - This file only grows (additive): ask in your report if you need a method that is missing.
 */

/** A member as Rolegate needs it. `roleIds` excludes @everyone (Discord omits it). */
export interface DiscordMember {
  userId: string;
  roleIds: string[];
}

export interface DiscordRole {
  id: string;
  name: string;
  position: number;
  /** Decimal string of permission bits. */
  permissions: string;
  /** Owned by an integration (bot, boosts, linked app): cannot be granted by hand. */
  managed: boolean;
}

export interface DiscordGuild {
  id: string;
  name: string;
  ownerId: string;
  /** Every role including @everyone (id = guild id). */
  roles: DiscordRole[];
}

export interface DiscordUser {
  id: string;
  username: string;
  globalName: string | null;
}

/** The result of an OAuth2 code exchange or refresh. */
export interface DiscordOAuthTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires (Discord says 604800 today; don't hard-code). */
  expiresIn: number;
  scope: string;
  /**
   * Present only for the bot-install code flow: the guild the bot was added to. This — never a
   * `guild_id` query parameter from the browser — is the server that gets connected.
   */
  guild?: { id: string; name: string; ownerId: string; roles: DiscordRole[] };
}

/** Outcome of Add Guild Member Role: `added` (204) or `not_member` (10007 Unknown Member). */
export type AddRoleOutcome = 'added' | 'not_member';

/** Outcome of Add Guild Member: `added` (201; roles in the body applied) or `already_member` (204; roles NOT applied). */
export type AddMemberOutcome = 'added' | 'already_member';

export interface DiscordChannel {
  id: string;
  name: string | null;
  /** 0 = guild text channel, 1 = DM; other channel kinds are passed through as their number. */
  type: number;
}

export type DiscordMessageBody = RESTPostAPIChannelMessageJSONBody;
export type DiscordMessageEdit = RESTPatchAPIChannelMessageJSONBody;
export type DiscordInteractionEdit = APIInteractionResponseCallbackData;
export type DiscordFollowupBody = RESTPostAPIInteractionFollowupJSONBody;
/** Chat-input / context-menu commands (valid both globally and per guild). */
export type DiscordCommands = RESTPutAPIApplicationGuildCommandsJSONBody;

export interface DiscordPort {
  // ---- guild, roles, members (read) ----
  /** The bot's own user (cached by the adapter after the first call). */
  getBotUser(): Promise<DiscordUser>;
  getGuild(guildId: string): Promise<DiscordGuild>;
  /** The member, or null when the user is not in the guild (10007). Needs no intent. */
  getMember(guildId: string, userId: string): Promise<DiscordMember | null>;
  /** One page of List Guild Members (limit ≤ 1000, `after` = highest user id of the previous page). Needs the members intent. */
  listMembers(guildId: string, options: { limit: number; after?: string }): Promise<DiscordMember[]>;

  // ---- guild, roles, members (write; member sync only) ----
  /**
   * Per-role PUT; idempotent. `not_member` when Discord answers Unknown Member (10007): the user is
   * not in the server (member sync then decides whether to join them). This is how a sync learns
   * membership without a read first.
   */
  addRole(guildId: string, userId: string, roleId: string, reason: string): Promise<AddRoleOutcome>;
  /** Per-role DELETE; idempotent. Resolves when the member is already gone (10007 = done). */
  removeRole(guildId: string, userId: string, roleId: string, reason: string): Promise<void>;
  /** Add Guild Member with the buyer's `guilds.join` access token. After `already_member`, add roles explicitly. */
  addMember(
    guildId: string,
    userId: string,
    accessToken: string,
    roleIds: readonly string[],
    reason: string,
  ): Promise<AddMemberOutcome>;
  /** Kick. Resolves when the member is already gone (10007 = done). */
  kickMember(guildId: string, userId: string, reason: string): Promise<void>;

  // ---- OAuth2 (form-encoded; no bot auth) ----
  /** Exchanges an authorization code (bot install or customer link). */
  exchangeCode(code: string, redirectUri: string): Promise<DiscordOAuthTokens>;
  /** Refresh: the returned refresh token replaces the old one (single use); persist both atomically. */
  refreshToken(refreshToken: string): Promise<DiscordOAuthTokens>;
  /** Revokes every token of that authorization. */
  revokeToken(token: string): Promise<void>;
  /** The user behind a Bearer token (`identify`). */
  getOAuthUser(accessToken: string): Promise<DiscordUser>;

  // ---- channels and messages ----
  getGuildChannels(guildId: string): Promise<DiscordChannel[]>;
  createTextChannel(guildId: string, name: string, reason: string): Promise<DiscordChannel>;
  /** Opens (or returns) the DM channel with a user. */
  createDM(userId: string): Promise<DiscordChannel>;
  createMessage(channelId: string, body: DiscordMessageBody): Promise<{ id: string }>;
  editMessage(channelId: string, messageId: string, body: DiscordMessageEdit): Promise<{ id: string }>;
  deleteMessage(channelId: string, messageId: string, reason: string): Promise<void>;
  /** Null when the message is gone (10008) — re-post it. */
  getMessage(channelId: string, messageId: string): Promise<{ id: string } | null>;

  // ---- interactions (token-authenticated webhooks; exempt from the global limit) ----
  /** PATCH /webhooks/{app}/{token}/messages/@original. */
  editInteractionReply(applicationId: string, token: string, body: DiscordInteractionEdit): Promise<void>;
  /** POST /webhooks/{app}/{token}. */
  followUpInteraction(applicationId: string, token: string, body: DiscordFollowupBody): Promise<void>;

  // ---- commands ----
  /** Bulk-overwrites the global commands, or one guild's when `guildId` is given. */
  registerCommands(applicationId: string, commands: DiscordCommands, guildId?: string): Promise<void>;
}
