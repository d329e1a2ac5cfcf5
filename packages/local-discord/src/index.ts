/**
 * The Local Discord: a real HTTP server that answers like Discord's API v10 for what Rolegate
 * uses, so `new REST({ api: `${url}/api`, version: '10' })` works against it unchanged — failures
 * included. Used by the offline sandbox and by tests. Behaviours follow
 * shared/reference/discord.md; where Discord is undocumented the choice is commented in place.
 *
 * Deliberate differences from what one might guess:
 * - A bad or missing bot token gets 401 `{"message":"401: Unauthorized","code":0}` (Discord's
 *   real answer), not code 40001.
 * - Add Guild Member with a bad user token answers 403/50025 (as reported from production);
 *   note a 401 there would make @discordjs/rest forget the bot token.
 * - JSON sent to the OAuth2 token route is not read: 400 `unsupported_grant_type`.
 */
import { randomBytes } from 'node:crypto';
import type {
  APIChannel,
  APIGuild,
  APIGuildMember,
  APIMessage,
  APIRole,
  APIUser,
} from 'discord-api-types/v10';
import { CommandStore, type StoredCommand } from './commands.js';
import { Faults, type FaultController } from './faults.js';
import {
  InteractionHub,
  INTERACTION_DEADLINE_MS,
  type InteractionInput,
  type InteractionReplies,
  type SendInteractionOptions,
  type SentInteraction,
} from './interactions.js';
import { OAuthStore, randomToken } from './oauth-store.js';
import { DEFAULT_BOT_PERMISSIONS, toPermissionBits, type PermissionsInput } from './permissions.js';
import { DEFAULT_ROUTE_LIMITS, RateLimiter, type BucketLimit, type BucketName } from './ratelimit.js';
import { Router } from './router.js';
import { channelJson, guildJson, memberJson, roleJson, sortedRoles, userJson } from './serialize.js';
import { LocalDiscordServer, type RequestLogEntry } from './server.js';
import { memberPageRoutes } from './member-page.js';
import { basePermissions } from './hierarchy.js';
import { DiscordState, type NewRole } from './state.js';
import { channelRoutes } from './routes/channels.js';
import { commandRoutes } from './routes/commands.js';
import { guildRoutes } from './routes/guilds.js';
import { interactionRoutes } from './routes/interactions.js';
import { memberRoleRoutes } from './routes/member-roles.js';
import { memberRoutes } from './routes/members.js';
import { authorizeRoutes, grantAuthorization, type AuthorizeInput } from './routes/oauth-authorize.js';
import { oauthTokenRoutes } from './routes/oauth-token.js';
import { userRoutes } from './routes/users.js';
import type { World } from './world.js';

export type { FaultController, FaultSpec } from './faults.js';
export type {
  InteractionInput,
  InteractionReplies,
  InteractionResponse,
  SendInteractionOptions,
  SentInteraction,
} from './interactions.js';
export type { BucketLimit, BucketName } from './ratelimit.js';
export type { RequestLogEntry } from './server.js';
export type { NewRole } from './state.js';
export type { AuthorizeInput } from './routes/oauth-authorize.js';
export type { PermissionsInput } from './permissions.js';
export type { StoredCommand } from './commands.js';
export { DEFAULT_ROUTE_LIMITS } from './ratelimit.js';
export { seedWorld, type SeededWorld } from './seed.js';
export { DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, Permission } from './permissions.js';

export interface StartLocalDiscordOptions {
  /** Requests per second per bot token (per IP when unauthenticated). Default 50, like Discord. */
  globalRateLimitPerSecond?: number;
  /** Per-route bucket sizes; see DEFAULT_ROUTE_LIMITS for the defaults and why. */
  routeLimits?: Partial<Record<BucketName, BucketLimit>>;
  /** Default: a fresh snowflake. */
  applicationId?: string;
  /** The application's (and bot user's and bot role's) name. Default "Rolegate". */
  applicationName?: string;
  /** Default: random. */
  botToken?: string;
  /** OAuth2 client id. Default: the application id (as on Discord). */
  clientId?: string;
  /** Default: random. */
  clientSecret?: string;
  /** Drives snowflakes, timestamps, token and code expiry. Rate limits always use the wall clock. Default: Date.now. */
  clock?: { now(): number };
  /** Registered OAuth2 redirect URIs. Default none = any http(s) URI is accepted. */
  redirectUris?: readonly string[];
  /** The privileged GUILD_MEMBERS intent switch. Default true. */
  membersIntent?: boolean;
  /** Wall-clock time an interactions endpoint has to answer. Default 3000 ms. */
  interactionDeadlineMs?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

export interface PopulateGuildInput {
  count: number;
  usernamePrefix?: string;
  rolesOf?: (index: number) => readonly string[];
}

/** The members a bulk load created, without holding a million strings. */
export interface PopulatedMembers {
  readonly count: number;
  /** The id of the `index`-th new member (0-based); ids grow with the index. */
  userIdAt(index: number): string;
}

export interface SandboxGuild {
  id: string;
  name: string;
  ownerId: string;
  /** Always equal to the guild id. */
  everyoneRoleId: string;
  /** The bot's managed role; null when the bot is not in the guild. */
  botRoleId: string | null;
  /** The auto-created #general channel. */
  systemChannelId: string | null;
}

export interface LocalDiscord {
  /** `http://127.0.0.1:PORT`; the REST base for @discordjs/rest is `${url}/api`. */
  readonly url: string;
  readonly apiBaseUrl: string;
  readonly applicationId: string;
  readonly botToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly botUserId: string;
  /** Ed25519 public key (hex) that signs interactions. */
  readonly publicKeyHex: string;
  close(): Promise<void>;

  // ---- world ----
  /** A guild with @everyone, #general, an owner (created unless given) and, unless `withBot: false`, the bot. */
  createGuild(input: { name: string; ownerId?: string; withBot?: boolean }): SandboxGuild;
  getGuild(guildId: string): APIGuild | null;
  setGuildOwner(guildId: string, userId: string): void;
  /** Without `position` the role goes just above @everyone, as Discord creates roles. */
  createRole(guildId: string, input: NewRole): APIRole;
  listRoles(guildId: string): APIRole[];
  /** Sets the raw position; equal positions are allowed (then the lower id ranks higher). */
  setRolePosition(guildId: string, roleId: string, position: number): void;
  /** Any role, @everyone included (its id is the guild id). */
  setRolePermissions(guildId: string, roleId: string, permissions: PermissionsInput): void;
  deleteRole(guildId: string, roleId: string): void;
  /** Permissions of the bot's managed role. The bot also gets what @everyone has. */
  setBotPermissions(guildId: string, permissions: PermissionsInput): void;
  /** Replaces the bot member's role list (include `botRoleId` to keep the managed role). */
  setBotRoles(guildId: string, roleIds: readonly string[]): void;
  /** The bot's effective base permissions in the guild, as a decimal string. */
  botPermissions(guildId: string): string;
  /** Puts the bot (back) in the guild with a fresh managed role. Default permissions 268454915. */
  addBot(guildId: string, permissions?: PermissionsInput): void;
  /** The bot leaves; its managed role is deleted. Guild routes then answer 10004/50001. */
  removeBot(guildId: string): void;
  createUser(input: { username: string; globalName?: string; bot?: boolean }): APIUser;
  getUser(userId: string): APIUser | null;
  /** Adds the member (or adds roles to an existing one). */
  addMember(guildId: string, userId: string, roleIds?: readonly string[]): APIGuildMember;
  removeMember(guildId: string, userId: string): void;
  /**
   * A bulk load for big-guild benchmarks: `count` new users, already members, named
   * `${usernamePrefix}0…` (default "member"), with the roles `rolesOf(i)` returns (default none;
   * return the same few arrays, they are interned). Silent: no gateway events. Stored compactly,
   * a million members cost tens of MB.
   */
  populateGuild(guildId: string, input: PopulateGuildInput): PopulatedMembers;
  getMember(guildId: string, userId: string): APIGuildMember | null;
  setMemberRoles(guildId: string, userId: string, roleIds: readonly string[]): void;
  /** Bans (and removes) the user: Add Guild Member then answers 40007. */
  banUser(guildId: string, userId: string): void;
  unbanUser(guildId: string, userId: string): void;
  /** Total guilds the user is in (Local Discord guilds included); at 100, joins fail with 30001. */
  setUserGuildCount(userId: string, count: number): void;
  /** Closed DMs: Create Message in their DM channel answers 403/50007. */
  setDmsClosed(userId: string, closed: boolean): void;
  /** The privileged GUILD_MEMBERS intent; off → List Guild Members answers 403/50001. */
  setMembersIntent(enabled: boolean): void;
  createChannel(guildId: string, name: string): APIChannel;
  channelMessages(channelId: string): APIMessage[];
  /** Messages the bot sent to the user's DM channel. */
  dmMessages(userId: string): APIMessage[];
  commands(guildId?: string): StoredCommand[];

  // ---- OAuth2 ----
  /** What clicking Authorize does, minus the browser: returns a single-use code. */
  authorizeCode(input: AuthorizeInput): string;
  registerRedirectUri(uri: string): void;
  /** The user removes the app in their settings: all their tokens die. */
  revokeUserAuthorizations(userId: string): void;

  // ---- faults and observability ----
  readonly faults: FaultController;
  readonly requestLog: readonly RequestLogEntry[];
  /** Responses with 401, 403 or 429 (429 of scope "shared" excluded), as Discord counts them. */
  readonly invalidRequestCount: number;
  /** Clears the request log and the invalid-request count. */
  resetCounters(): void;
  /** Empties every rate-limit window. */
  resetRateLimits(): void;

  // ---- interactions ----
  setInteractionsEndpoint(url: string | null): void;
  /** What the developer portal does on save: a signed PING must get `{type:1}`, a forged one 401. */
  validateInteractionsEndpoint(): Promise<{ ok: boolean; problems: string[] }>;
  sendInteraction(input: InteractionInput, options?: SendInteractionOptions): Promise<SentInteraction>;
  interactionReplies(interactionId: string): InteractionReplies;
}

export async function startLocalDiscord(options: StartLocalDiscordOptions = {}): Promise<LocalDiscord> {
  const clock = options.clock ?? { now: () => Date.now() };
  const now = (): number => clock.now();
  const name = options.applicationName ?? 'Rolegate';
  const state = new DiscordState(now, name);
  state.membersIntent = options.membersIntent ?? true;
  const applicationId = options.applicationId ?? state.ids.next();
  const commands = new CommandStore(applicationId, state.ids);
  const hub = new InteractionHub(
    state,
    commands,
    applicationId,
    options.interactionDeadlineMs ?? INTERACTION_DEADLINE_MS,
  );
  const world: World = {
    state,
    oauth: new OAuthStore(now),
    interactions: hub,
    commands,
    app: {
      id: applicationId,
      name,
      botToken:
        options.botToken ??
        `${Buffer.from(state.botUser.id).toString('base64url')}.${randomToken(6)}.${randomBytes(27).toString('base64url')}`,
      clientId: options.clientId ?? applicationId,
      clientSecret: options.clientSecret ?? randomToken(32),
      publicKeyHex: hub.publicKeyHex,
    },
    now,
    redirectUris: new Set(options.redirectUris ?? []),
    baseUrl: '',
  };
  const router = new Router();
  router.add(
    ...userRoutes(world),
    ...guildRoutes(world),
    ...memberRoutes(world),
    ...memberRoleRoutes(world),
    ...channelRoutes(world),
    ...commandRoutes(world),
    ...interactionRoutes(world),
    ...oauthTokenRoutes(world),
    ...authorizeRoutes(world),
    ...memberPageRoutes(world),
  );
  const limiter = new RateLimiter(options.globalRateLimitPerSecond ?? 50, {
    ...DEFAULT_ROUTE_LIMITS,
    ...options.routeLimits,
  });
  const faults = new Faults();
  const server = new LocalDiscordServer(world, router, limiter, faults);
  const url = await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  world.baseUrl = url;

  const guildOf = (guildId: string) => state.requireGuild(guildId);
  const sandboxGuild = (guildId: string): SandboxGuild => {
    const guild = guildOf(guildId);
    return {
      id: guild.id,
      name: guild.name,
      ownerId: guild.ownerId,
      everyoneRoleId: guild.id,
      botRoleId: guild.botRoleId,
      systemChannelId: guild.systemChannelId,
    };
  };
  const messagesOf = (channelId: string | undefined): APIMessage[] =>
    channelId === undefined ? [] : [...(state.channels.get(channelId)?.messages.values() ?? [])];

  return {
    url,
    apiBaseUrl: `${url}/api`,
    applicationId,
    botToken: world.app.botToken,
    clientId: world.app.clientId,
    clientSecret: world.app.clientSecret,
    botUserId: state.botUser.id,
    publicKeyHex: hub.publicKeyHex,
    close: () => server.close(),

    createGuild: (input) => sandboxGuild(state.createGuild(input).id),
    getGuild: (guildId) => {
      const guild = state.guilds.get(guildId);
      return guild ? guildJson(guild, true, null) : null;
    },
    setGuildOwner: (guildId, userId) => {
      state.requireUser(userId);
      guildOf(guildId).ownerId = userId;
    },
    createRole: (guildId, input) => roleJson(state.roles.create(guildId, input)),
    listRoles: (guildId) => sortedRoles(guildOf(guildId)).map(roleJson),
    setRolePosition: (guildId, roleId, position) => state.roles.update(guildId, roleId, { position }),
    setRolePermissions: (guildId, roleId, permissions) =>
      state.roles.update(guildId, roleId, { permissions: toPermissionBits(permissions) }),
    deleteRole: (guildId, roleId) => state.roles.delete(guildId, roleId),
    setBotPermissions: (guildId, permissions) => {
      const roleId = guildOf(guildId).botRoleId;
      if (roleId === null) throw new Error(`Local Discord: the bot has no role in ${guildId}`);
      state.roles.update(guildId, roleId, { permissions: toPermissionBits(permissions) });
    },
    setBotRoles: (guildId, roleIds) => state.setMemberRoles(guildId, state.botUser.id, roleIds),
    botPermissions: (guildId) => basePermissions(guildOf(guildId), state.botUser.id).toString(),
    addBot: (guildId, permissions = DEFAULT_BOT_PERMISSIONS) => state.addBot(guildId, permissions),
    removeBot: (guildId) => state.removeBot(guildId),
    createUser: (input) => userJson(state.createUser(input)),
    getUser: (userId) => {
      const user = state.users.get(userId);
      return user ? userJson(user) : null;
    },
    addMember: (guildId, userId, roleIds = []) =>
      memberJson(state, state.addMember(guildId, userId, roleIds)),
    populateGuild: (guildId, input) => {
      const { count, usernamePrefix = 'member', rolesOf = () => [] } = input;
      const firstSlot = state.populateGuild(guildId, count, usernamePrefix, rolesOf);
      return {
        count,
        userIdAt: (index) => {
          if (!Number.isInteger(index) || index < 0 || index >= count)
            throw new RangeError(`no member ${index}`);
          return state.users.idAt(firstSlot + index);
        },
      };
    },
    removeMember: (guildId, userId) => {
      state.removeMember(guildId, userId);
    },
    getMember: (guildId, userId) => {
      const member = guildOf(guildId).members.get(userId);
      return member ? memberJson(state, member) : null;
    },
    setMemberRoles: (guildId, userId, roleIds) => state.setMemberRoles(guildId, userId, roleIds),
    banUser: (guildId, userId) => state.banUser(guildId, userId),
    unbanUser: (guildId, userId) => {
      guildOf(guildId).bans.delete(userId);
    },
    setUserGuildCount: (userId, count) => state.setUserGuildCount(userId, count),
    setDmsClosed: (userId, closed) => state.setDmsClosed(userId, closed),
    setMembersIntent: (enabled) => {
      state.membersIntent = enabled;
    },
    createChannel: (guildId, channelName) => channelJson(state, state.createChannel(guildId, channelName)),
    channelMessages: (channelId) => messagesOf(channelId),
    dmMessages: (userId) => messagesOf(state.dmChannelIdOf(userId)),
    commands: (guildId) => [...commands.list(guildId ?? 'global')],

    authorizeCode: (input) => grantAuthorization(world, input).code,
    registerRedirectUri: (uri) => {
      world.redirectUris.add(uri);
    },
    revokeUserAuthorizations: (userId) => world.oauth.revokeUser(userId),

    faults,
    get requestLog() {
      return server.log;
    },
    get invalidRequestCount() {
      return server.invalidRequestCount;
    },
    resetCounters: () => {
      server.log.length = 0;
      server.invalidRequestCount = 0;
    },
    resetRateLimits: () => limiter.reset(),

    setInteractionsEndpoint: (endpoint) => {
      hub.endpointUrl = endpoint;
    },
    validateInteractionsEndpoint: async () => {
      const problems: string[] = [];
      const ping = await hub.send({ type: 1 });
      const body = ping.body as { type?: unknown } | null;
      if (ping.status !== 200 || body?.type !== 1)
        problems.push(`PING got ${ping.status}, expected 200 {"type":1}`);
      const forged = await hub.send({ type: 1 }, { forgeSignature: true });
      if (forged.status !== 401) problems.push(`a forged signature got ${forged.status}, expected 401`);
      return { ok: problems.length === 0, problems };
    },
    sendInteraction: (input, sendOptions) => hub.send(input, sendOptions),
    interactionReplies: (interactionId) => hub.replies(interactionId),
  };
}
