/** The Local Discord's public types: its options and the control API (`LocalDiscord`). */
import type {
  APIChannel,
  APIGuild,
  APIGuildMember,
  APIMessage,
  APIRole,
  APIUser,
} from 'discord-api-types/v10';
import type { AccountingReport } from './accounting.js';
import type { StoredCommand } from './commands.js';
import type { WorldChangeListener } from './events.js';
import type { FaultController } from './faults.js';
import type { GatewayDispatchLogEntry, GatewayOptions } from './gateway/gateway.js';
import type { PrivilegedIntent } from './gateway/protocol.js';
import type { GatewaySessionInfo } from './gateway/session.js';
import type {
  InteractionInput,
  InteractionReplies,
  SendInteractionOptions,
  SentInteraction,
} from './interactions.js';
import type { PermissionsInput } from './permissions.js';
import type { BucketLimit, BucketName, GlobalWindow } from './ratelimit.js';
import type { AuthorizeInput } from './routes/oauth-authorize.js';
import type { RequestLogEntry } from './server.js';
import type { NewRole } from './state.js';

/** The gateway's switches: what Discord's side of the WebSocket can do to its clients. */
export interface GatewayControl {
  /** `ws://HOST:PORT/gateway`, also what GET /gateway/bot answers. */
  readonly url: string;
  sessions(): GatewaySessionInfo[];
  /** op 7 Reconnect to every connected session (clients close and resume). Returns how many were asked. */
  requestReconnect(): number;
  /** op 1 from the server: every connected client must heartbeat at once. */
  requestHeartbeat(): number;
  /** Drops every connection without a close frame, like a network failure: clients resume. */
  dropConnections(): number;
  /** Closes every connection with a gateway close code (4000 unknown error: clients resume). */
  closeConnections(code: number, reason?: string): number;
  /** op 9 Invalid Session to every connected session; unless `resumable`, the sessions are forgotten. */
  invalidateSessions(resumable?: boolean): number;
  /** Every dispatch given a sequence number, in order: who got what (the last 50,000). */
  readonly dispatchLog: readonly GatewayDispatchLogEntry[];
  /** Identifies so far (they count against `session_start_limit`). */
  readonly identifyCount: number;
}

export interface StartLocalDiscordOptions {
  /** Requests per second per bot token (per IP when unauthenticated). Default 50, like Discord. */
  globalRateLimitPerSecond?: number;
  /**
   * How the global limit counts its second: `fixed` (default; what Discord is believed to do) or
   * `sliding` (never more than the limit within any 1,000 ms — the strict reading). See GlobalWindow.
   */
  globalRateLimitWindow?: GlobalWindow;
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
  /** Heartbeats, resume window, replay buffer and send limit of the gateway; each option has Discord's value by default. */
  gateway?: GatewayOptions;
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
  /** Drags the role to `position` and renumbers the roles 1…n as Discord does: GUILD_ROLE_UPDATE for each role that moved. */
  moveRole(guildId: string, roleId: string, position: number): void;
  /** A moderator drags the role just above the bot's highest role: the bot can no longer grant it. */
  moveRoleAboveBot(guildId: string, roleId: string): void;
  /** Any role, @everyone included (its id is the guild id). */
  setRolePermissions(guildId: string, roleId: string, permissions: PermissionsInput): void;
  deleteRole(guildId: string, roleId: string): void;
  /** Permissions of the bot's managed role. The bot also gets what @everyone has. */
  setBotPermissions(guildId: string, permissions: PermissionsInput): void;
  /** Replaces the bot member's role list (include `botRoleId` to keep the managed role). */
  setBotRoles(guildId: string, roleIds: readonly string[]): void;
  /** The bot's effective base permissions in the guild, as a decimal string. */
  botPermissions(guildId: string): string;
  /** Puts the bot (back) in the guild with a fresh managed role (GUILD_CREATE). Default permissions 268454915. */
  addBot(guildId: string, permissions?: PermissionsInput): void;
  /** The bot is removed (GUILD_DELETE); its managed role is deleted. Guild routes then answer 10004/50001. */
  removeBot(guildId: string): void;
  createUser(input: { username: string; globalName?: string; bot?: boolean }): APIUser;
  getUser(userId: string): APIUser | null;
  /** Adds the member (or adds roles to an existing one). */
  addMember(guildId: string, userId: string, roleIds?: readonly string[]): APIGuildMember;
  removeMember(guildId: string, userId: string): void;
  /** The member leaves on their own: GUILD_MEMBER_REMOVE. */
  memberLeaves(guildId: string, userId: string): void;
  /** The user joins (again) through an invite, with no roles — Discord keeps none across a leave: GUILD_MEMBER_ADD. */
  memberRejoins(guildId: string, userId: string): APIGuildMember;
  /** A moderator takes a role from a member by hand, whatever the bot thinks: GUILD_MEMBER_UPDATE. */
  moderatorRemovesRole(guildId: string, userId: string, roleId: string): void;
  /** A moderator gives a role by hand: GUILD_MEMBER_UPDATE. */
  moderatorAddsRole(guildId: string, userId: string, roleId: string): void;
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
  /** The privileged GUILD_MEMBERS intent; off → List Guild Members answers 403/50001 and identify with it closes 4014. */
  setMembersIntent(enabled: boolean): void;
  /** Any privileged intent's portal toggle (GUILD_PRESENCES and MESSAGE_CONTENT start off). */
  setPrivilegedIntent(intent: PrivilegedIntent, enabled: boolean): void;
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
  /** Clears the request log, the invalid-request count and the accounting. */
  resetCounters(): void;
  /** How Discord's limits would see the traffic so far: busiest second, 429s by kind, invalid requests. */
  accountingReport(): AccountingReport;
  /** Wall-clock arrival times (ms since the epoch) of API requests: of one caller (`bot:<bot user id>`, `ip:<address>`) or all. */
  arrivalTimes(caller?: string): Float64Array;
  /** Every change to the world as it happens (what the gateway turns into dispatches). Returns the unsubscribe. */
  onWorldChange(listener: WorldChangeListener): () => void;

  // ---- gateway ----
  readonly gateway: GatewayControl;
  /** Empties every rate-limit window. */
  resetRateLimits(): void;

  // ---- interactions ----
  setInteractionsEndpoint(url: string | null): void;
  /** What the developer portal does on save: a signed PING must get `{type:1}`, a forged one 401. */
  validateInteractionsEndpoint(): Promise<{ ok: boolean; problems: string[] }>;
  sendInteraction(input: InteractionInput, options?: SendInteractionOptions): Promise<SentInteraction>;
  /** Sends an interaction again, same id and body (Discord can deliver one twice). */
  redeliverInteraction(interactionId: string): Promise<SentInteraction>;
  interactionReplies(interactionId: string): InteractionReplies;
}
