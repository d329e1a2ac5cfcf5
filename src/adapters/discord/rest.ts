import { API } from '@discordjs/core/http-only';
import { DiscordAPIError, REST, RequestMethod, type RateLimitData } from '@discordjs/rest';
import {
  ChannelType,
  Routes,
  type APIGuildMember,
  type APIRole,
  type APIUser,
  type RESTPostOAuth2AccessTokenResult,
} from 'discord-api-types/v10';
import { FailureError } from '../../core/failure.js';
import type {
  AddMemberOutcome,
  AddRoleOutcome,
  DiscordChannel,
  DiscordCommands,
  DiscordFollowupBody,
  DiscordInteractionEdit,
  DiscordGuild,
  DiscordMember,
  DiscordMessageBody,
  DiscordMessageEdit,
  DiscordOAuthTokens,
  DiscordPort,
  DiscordRole,
  DiscordUser,
} from '../../core/ports/discord.js';
import { DiscordBudget } from './budget.js';
import { classified, classifyDiscordError, isAlreadyGone, type DiscordOp } from './classify.js';

export interface DiscordRestOptions {
  /** Base URL without the version, e.g. `https://discord.com/api` or the local Discord's `http://127.0.0.1:PORT/api`. */
  apiUrl: string;
  botToken: string;
  /** Needed for OAuth (code exchange, refresh, revoke). */
  applicationId?: string;
  clientSecret?: string;
  /** Per-request timeout, ms. Default 15 000 (the library's). */
  timeoutMs?: number;
  /** Library-level immediate retries of 5xx and timeouts before the job backs off. Default 1. */
  retries?: number;
  /** Client-side global limit. Default 50 (Discord's per-bot limit). Ignored when `budget` is given. */
  globalRequestsPerSecond?: number;
  /**
   * The budget every request leaving this process spends (decision 0017): the global limit in a
   * sliding window and the invalid-request budget. Default: a new one with `globalRequestsPerSecond`.
   */
  budget?: DiscordBudget;
  /**
   * A 429 asking to wait longer than this is not waited out in-process: the call fails with a
   * `retry` failure carrying `retryAfterMs`, and the job is rescheduled for then. Default 10 000.
   */
  maxInlineRateLimitWaitMs?: number;
}

const toRole = (r: APIRole): DiscordRole => ({
  id: r.id,
  name: r.name,
  position: r.position,
  permissions: r.permissions,
  managed: r.managed,
});

const toMember = (m: Pick<APIGuildMember, 'roles'> & { user: Pick<APIUser, 'id'> }): DiscordMember => ({
  userId: m.user.id,
  roleIds: [...m.roles],
});

const toUser = (u: APIUser): DiscordUser => ({
  id: u.id,
  username: u.username,
  globalName: u.global_name ?? null,
});

/** The guild object Discord adds to the token response of the bot-install code flow. */
interface TokenGuild {
  id: string;
  name: string;
  owner_id: string;
  roles: APIRole[];
}

/**
 * DiscordPort on @discordjs/rest + @discordjs/core (http-only). The library brings per-route
 * buckets, the global limiter and in-process waits for short 429s; everything else that fails
 * leaves here as a FailureError classified by `classifyDiscordError`.
 */
export class DiscordRestAdapter implements DiscordPort {
  readonly rest: REST;
  readonly budget: DiscordBudget;
  private readonly api: API;
  private botUser: DiscordUser | null = null;

  constructor(private readonly options: DiscordRestOptions) {
    const maxWait = options.maxInlineRateLimitWaitMs ?? 10_000;
    this.budget = options.budget ?? new DiscordBudget({ limit: options.globalRequestsPerSecond ?? 50 });
    this.rest = new REST({
      api: options.apiUrl.replace(/\/$/, ''),
      version: '10',
      timeout: options.timeoutMs ?? 15_000,
      retries: options.retries ?? 1,
      // The budget's sliding window binds; the library's fixed one-second window must not bind first.
      globalRequestsPerSecond: this.budget.limit * 2,
      makeRequest: this.budget.wrap(),
      // Short waits are cheaper in-process; a long one must not hold a worker slot.
      rejectOnRateLimit: (data: RateLimitData) => data.retryAfter > maxWait,
    }).setToken(options.botToken);
    this.api = new API(this.rest);
  }

  async getBotUser(): Promise<DiscordUser> {
    this.botUser ??= await classified('read', async () => toUser(await this.api.users.getCurrent()));
    return this.botUser;
  }

  async getGuild(guildId: string): Promise<DiscordGuild> {
    return classified('read', async () => {
      const g = await this.api.guilds.get(guildId);
      return { id: g.id, name: g.name, ownerId: g.owner_id, roles: g.roles.map(toRole) };
    });
  }

  async getMember(guildId: string, userId: string): Promise<DiscordMember | null> {
    try {
      return toMember(await this.api.guilds.getMember(guildId, userId));
    } catch (err) {
      if (isAlreadyGone(err)) return null;
      throw new FailureError(classifyDiscordError(err, 'read'));
    }
  }

  async listMembers(guildId: string, options: { limit: number; after?: string }): Promise<DiscordMember[]> {
    return classified('read', async () => {
      const page = await this.api.guilds.getMembers(guildId, {
        limit: Math.min(Math.max(options.limit, 1), 1000),
        ...(options.after === undefined ? {} : { after: options.after }),
      });
      return page.filter((m) => m.user !== undefined).map((m) => toMember(m));
    });
  }

  async addRole(guildId: string, userId: string, roleId: string, reason: string): Promise<AddRoleOutcome> {
    try {
      await this.api.guilds.addRoleToMember(guildId, userId, roleId, { reason });
      return 'added';
    } catch (err) {
      // Unknown Member: the user is not in the server; member sync decides whether to join them.
      if (isAlreadyGone(err)) return 'not_member';
      throw new FailureError(classifyDiscordError(err, 'add_role'));
    }
  }

  async removeRole(guildId: string, userId: string, roleId: string, reason: string): Promise<void> {
    await this.removal('remove_role', () =>
      this.api.guilds.removeRoleFromMember(guildId, userId, roleId, { reason }),
    );
  }

  async kickMember(guildId: string, userId: string, reason: string): Promise<void> {
    await this.removal('kick', () => this.api.guilds.removeMember(guildId, userId, { reason }));
  }

  /** A removal whose target is already gone (10007) has nothing left to do. */
  private async removal(op: DiscordOp, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (isAlreadyGone(err)) return;
      throw new FailureError(classifyDiscordError(err, op));
    }
  }

  async addMember(
    guildId: string,
    userId: string,
    accessToken: string,
    roleIds: readonly string[],
    reason: string,
  ): Promise<AddMemberOutcome> {
    return classified('add_member', async () => {
      // The raw response is the only way to tell 201 (added, roles applied) from 204 (already a
      // member, roles in the body ignored): @discordjs/core hides the status.
      const res = await this.rest.queueRequest({
        fullRoute: Routes.guildMember(guildId, userId),
        method: RequestMethod.Put,
        body: { access_token: accessToken, roles: [...roleIds] },
        reason,
      });
      return res.status === 201 ? 'added' : 'already_member';
    });
  }

  // ---- OAuth2 ----

  private oauthClient(): { client_id: string; client_secret: string } {
    const { applicationId, clientSecret } = this.options;
    if (!applicationId || !clientSecret)
      throw new FailureError({
        owner: 'merchant',
        code: 'oauth_not_configured',
        message: 'Discord OAuth is not configured: set DISCORD_APPLICATION_ID and DISCORD_CLIENT_SECRET.',
      });
    return { client_id: applicationId, client_secret: clientSecret };
  }

  private static tokens(result: RESTPostOAuth2AccessTokenResult): DiscordOAuthTokens {
    const tokens: DiscordOAuthTokens = {
      accessToken: result.access_token,
      refreshToken: result.refresh_token,
      expiresIn: result.expires_in,
      scope: result.scope,
    };
    const guild = (result as { guild?: TokenGuild }).guild;
    if (guild)
      tokens.guild = {
        id: guild.id,
        name: guild.name,
        ownerId: guild.owner_id,
        roles: guild.roles.map(toRole),
      };
    return tokens;
  }

  async exchangeCode(code: string, redirectUri: string): Promise<DiscordOAuthTokens> {
    const client = this.oauthClient();
    return classified('oauth', async () =>
      DiscordRestAdapter.tokens(
        await this.api.oauth2.tokenExchange({
          ...client,
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
        }),
      ),
    );
  }

  async refreshToken(refreshToken: string): Promise<DiscordOAuthTokens> {
    const client = this.oauthClient();
    return classified('oauth', async () =>
      DiscordRestAdapter.tokens(
        await this.api.oauth2.refreshToken({
          ...client,
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
        }),
      ),
    );
  }

  async revokeToken(token: string): Promise<void> {
    const { client_id, client_secret } = this.oauthClient();
    await classified('oauth', () => this.api.oauth2.revokeToken(client_id, client_secret, { token }));
  }

  async getOAuthUser(accessToken: string): Promise<DiscordUser> {
    return classified('user_token', async () => {
      // auth:false + our own header: a 401 here must not make the library drop the *bot* token.
      const user = (await this.rest.get(Routes.user('@me'), {
        auth: false,
        headers: { Authorization: `Bearer ${accessToken}` },
      })) as APIUser;
      return toUser(user);
    });
  }

  // ---- channels and messages ----

  async getGuildChannels(guildId: string): Promise<DiscordChannel[]> {
    return classified('read', async () =>
      (await this.api.guilds.getChannels(guildId)).map((c) => ({
        id: c.id,
        name: c.name ?? null,
        type: c.type,
      })),
    );
  }

  async createTextChannel(guildId: string, name: string, reason: string): Promise<DiscordChannel> {
    return classified('message', async () => {
      const c = await this.api.guilds.createChannel(
        guildId,
        { name, type: ChannelType.GuildText },
        { reason },
      );
      return { id: c.id, name: 'name' in c ? (c.name ?? null) : null, type: c.type };
    });
  }

  async createDM(userId: string): Promise<DiscordChannel> {
    return classified('dm', async () => {
      const c = await this.api.users.createDM(userId);
      return { id: c.id, name: null, type: c.type };
    });
  }

  async createMessage(channelId: string, body: DiscordMessageBody): Promise<{ id: string }> {
    return classified('message', async () => ({
      id: (await this.api.channels.createMessage(channelId, body)).id,
    }));
  }

  async editMessage(channelId: string, messageId: string, body: DiscordMessageEdit): Promise<{ id: string }> {
    return classified('message', async () => ({
      id: (await this.api.channels.editMessage(channelId, messageId, body)).id,
    }));
  }

  async deleteMessage(channelId: string, messageId: string, reason: string): Promise<void> {
    await classified('message', () => this.api.channels.deleteMessage(channelId, messageId, { reason }));
  }

  async getMessage(channelId: string, messageId: string): Promise<{ id: string } | null> {
    try {
      return { id: (await this.api.channels.getMessage(channelId, messageId)).id };
    } catch (err) {
      if (err instanceof DiscordAPIError && err.code === 10008) return null;
      throw new FailureError(classifyDiscordError(err, 'message'));
    }
  }

  // ---- interactions and commands ----

  async editInteractionReply(
    applicationId: string,
    token: string,
    body: DiscordInteractionEdit,
  ): Promise<void> {
    await classified('interaction', () => this.api.interactions.editReply(applicationId, token, body));
  }

  async followUpInteraction(applicationId: string, token: string, body: DiscordFollowupBody): Promise<void> {
    await classified('interaction', () => this.api.interactions.followUp(applicationId, token, body));
  }

  async registerCommands(applicationId: string, commands: DiscordCommands, guildId?: string): Promise<void> {
    await classified('commands', () =>
      guildId === undefined
        ? this.api.applicationCommands.bulkOverwriteGlobalCommands(applicationId, commands)
        : this.api.applicationCommands.bulkOverwriteGuildCommands(applicationId, guildId, commands),
    );
  }
}
