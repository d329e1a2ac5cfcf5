/**
 * The Local Discord: a real HTTP server that answers like Discord's API v10 for what Rolegate
 * uses, so `new REST({ api: `${url}/api`, version: '10' })` works against it unchanged — failures
 * included — and a gateway (v10, JSON) that `@discordjs/ws` connects to through GET /gateway/bot.
 * Used by the offline sandbox, tests and benches. Behaviours follow shared/reference/discord.md;
 * where Discord is undocumented the choice is commented in place (the gateway's: decision 0016).
 *
 * Deliberate differences from what one might guess:
 * - A bad or missing bot token gets 401 `{"message":"401: Unauthorized","code":0}` (Discord's
 *   real answer), not code 40001.
 * - Add Guild Member with a bad user token answers 403/50025 (as reported from production);
 *   note a 401 there would make @discordjs/rest forget the bot token.
 * - JSON sent to the OAuth2 token route is not read: 400 `unsupported_grant_type`.
 */
import { randomBytes } from 'node:crypto';
import { RequestAccounting } from './accounting.js';
import type { LocalDiscord, StartLocalDiscordOptions } from './api.js';
import { CommandStore } from './commands.js';
import { Faults } from './faults.js';
import { LocalGateway } from './gateway/gateway.js';
import { InteractionHub, INTERACTION_DEADLINE_MS } from './interactions.js';
import { memberPageRoutes } from './member-page.js';
import { OAuthStore, randomToken } from './oauth-store.js';
import { DEFAULT_ROUTE_LIMITS, RateLimiter, wallClock } from './ratelimit.js';
import { Router } from './router.js';
import { channelRoutes } from './routes/channels.js';
import { commandRoutes } from './routes/commands.js';
import { controlRoutes, gatewayRoutes } from './routes/gateway.js';
import { guildRoutes } from './routes/guilds.js';
import { interactionRoutes } from './routes/interactions.js';
import { memberRoleRoutes } from './routes/member-roles.js';
import { memberRoutes } from './routes/members.js';
import { authorizeRoutes, grantAuthorization } from './routes/oauth-authorize.js';
import { oauthTokenRoutes } from './routes/oauth-token.js';
import { userRoutes } from './routes/users.js';
import { LocalDiscordServer } from './server.js';
import { DiscordState } from './state.js';
import { worldControl } from './world-control.js';
import type { World } from './world.js';

export type {
  GatewayControl,
  LocalDiscord,
  PopulatedMembers,
  PopulateGuildInput,
  SandboxGuild,
  StartLocalDiscordOptions,
} from './api.js';
export type { AccountingReport, RateLimitKind } from './accounting.js';
export type { WorldChange, WorldChangeListener } from './events.js';
export type { FaultController, FaultSpec } from './faults.js';
export type { GatewayDispatchLogEntry, GatewayOptions } from './gateway/gateway.js';
export type { PrivilegedIntent } from './gateway/protocol.js';
export type { GatewaySessionInfo } from './gateway/session.js';
export type {
  InteractionInput,
  InteractionReplies,
  InteractionResponse,
  SendInteractionOptions,
  SentInteraction,
} from './interactions.js';
export type { BucketLimit, BucketName, GlobalWindow } from './ratelimit.js';
export type { RequestLogEntry } from './server.js';
export type { NewRole } from './state.js';
export type { AuthorizeInput } from './routes/oauth-authorize.js';
export type { PermissionsInput } from './permissions.js';
export type { StoredCommand } from './commands.js';
export { DEFAULT_ROUTE_LIMITS } from './ratelimit.js';
export { seedWorld, type SeededWorld } from './seed.js';
export { DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, Permission } from './permissions.js';

function buildWorld(options: StartLocalDiscordOptions): World {
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
  return {
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
}

function routerOf(world: World, gateway: LocalGateway, accounting: RequestAccounting): Router {
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
    ...gatewayRoutes(gateway),
    ...controlRoutes(gateway, accounting),
    ...memberPageRoutes(world),
  );
  return router;
}

export async function startLocalDiscord(options: StartLocalDiscordOptions = {}): Promise<LocalDiscord> {
  const world = buildWorld(options);
  const { state, interactions: hub, commands } = world;
  const accounting = new RequestAccounting(wallClock);
  const gateway = new LocalGateway(world, options.gateway);
  const router = routerOf(world, gateway, accounting);
  const limiter = new RateLimiter(
    options.globalRateLimitPerSecond ?? 50,
    { ...DEFAULT_ROUTE_LIMITS, ...options.routeLimits },
    options.globalRateLimitWindow ?? 'fixed',
    wallClock,
  );
  const faults = new Faults();
  const server = new LocalDiscordServer(world, router, limiter, faults, accounting, wallClock);
  server.onUpgrade((req, socket, head) => gateway.handleUpgrade(req, socket, head));
  const url = await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  world.baseUrl = url;

  return {
    url,
    apiBaseUrl: `${url}/api`,
    applicationId: world.app.id,
    botToken: world.app.botToken,
    clientId: world.app.clientId,
    clientSecret: world.app.clientSecret,
    botUserId: state.botUser.id,
    publicKeyHex: hub.publicKeyHex,
    close: async () => {
      gateway.close();
      await server.close();
    },
    ...worldControl(world),
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
      accounting.reset();
    },
    resetRateLimits: () => limiter.reset(),
    accountingReport: () => accounting.report(),
    arrivalTimes: (caller) => accounting.arrivals(caller),
    gateway,

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
    redeliverInteraction: (interactionId) => hub.redeliver(interactionId),
    interactionReplies: (interactionId) => hub.replies(interactionId),
  };
}
