import {
  GatewayDispatchEvents,
  GatewayIntentBits,
  type ApplicationFlags,
  type GatewayGuildCreateDispatchData,
  type GatewayGuildDeleteDispatchData,
  type GatewayGuildMemberAddDispatchData,
  type GatewayGuildMemberRemoveDispatchData,
  type GatewayGuildMemberUpdateDispatchData,
  type GatewayGuildRoleDeleteDispatchData,
  type GatewayGuildRoleModifyDispatchData,
  type GatewayReadyDispatchData,
} from 'discord-api-types/v10';
import type { WorldChange } from '../events.js';
import { channelJson, guildJson, memberJson, roleJson, userJson } from '../serialize.js';
import type { GuildRecord } from '../state.js';
import type { World } from '../world.js';
import { shardOf } from './protocol.js';
import type { GatewaySession } from './session.js';

// Discord sends 0 for "no flags"; the enum has no 0 member.
const NO_APPLICATION_FLAGS = 0 as ApplicationFlags;

/** A dispatch the world's change calls for, before it is decided who gets it. */
export interface PlannedDispatch {
  t: GatewayDispatchEvents;
  guildId: string;
  /** The intent a session needs to get it. */
  intent: GatewayIntentBits;
  /** GUILD_MEMBER_UPDATE about the bot itself is sent whatever the intents. */
  aboutBot: boolean;
  /** GUILD_DELETE goes out although the bot has just left the guild. */
  botJustLeft: boolean;
  /** Built per session: GUILD_CREATE depends on the session's `large_threshold`. */
  payload(session: GatewaySession): unknown;
}

/** A dispatch every session with `intent` gets, the same payload for all. */
function planned(
  t: GatewayDispatchEvents,
  guildId: string,
  intent: GatewayIntentBits,
  d: unknown,
  extra: Partial<Pick<PlannedDispatch, 'aboutBot' | 'botJustLeft' | 'payload'>> = {},
): PlannedDispatch {
  return { t, guildId, intent, aboutBot: false, botJustLeft: false, payload: () => d, ...extra };
}

/** What a world change means on the gateway (docs: events/gateway-events). */
export function dispatchesFor(world: World, change: WorldChange): PlannedDispatch[] {
  const { state } = world;
  switch (change.kind) {
    case 'memberAdded':
    case 'memberUpdated':
      return memberDispatch(world, change);
    case 'memberRemoved': {
      const d: GatewayGuildMemberRemoveDispatchData = {
        guild_id: change.guildId,
        user: userJson(state.requireUser(change.userId)),
      };
      return [
        planned(GatewayDispatchEvents.GuildMemberRemove, change.guildId, GatewayIntentBits.GuildMembers, d),
      ];
    }
    case 'roleCreated':
    case 'roleUpdated':
      return roleDispatch(world, change);
    case 'roleDeleted': {
      const d: GatewayGuildRoleDeleteDispatchData = { guild_id: change.guildId, role_id: change.roleId };
      return [planned(GatewayDispatchEvents.GuildRoleDelete, change.guildId, GatewayIntentBits.Guilds, d)];
    }
    case 'botJoined': {
      const guild = state.requireGuild(change.guildId);
      const payload = (session: GatewaySession) => guildCreatePayload(world, guild, session);
      return [
        planned(GatewayDispatchEvents.GuildCreate, guild.id, GatewayIntentBits.Guilds, null, { payload }),
      ];
    }
    case 'botRemoved': {
      // Removed, not an outage: Discord sends only the id (`unavailable` absent; discord-api-docs#714).
      const d: GatewayGuildDeleteDispatchData = { id: change.guildId };
      return [
        planned(GatewayDispatchEvents.GuildDelete, change.guildId, GatewayIntentBits.Guilds, d, {
          botJustLeft: true,
        }),
      ];
    }
    case 'messagesChanged':
      // MESSAGE_* events need the message intents; nothing Rolegate listens to. Not emulated.
      return [];
  }
}

function memberDispatch(
  world: World,
  change: Extract<WorldChange, { kind: 'memberAdded' | 'memberUpdated' }>,
): PlannedDispatch[] {
  const { state } = world;
  const member = state.guilds.get(change.guildId)?.members.get(change.userId);
  if (!member) return [];
  // memberJson always sets avatar and banner (null), which the update's type requires.
  const d: GatewayGuildMemberAddDispatchData & GatewayGuildMemberUpdateDispatchData = {
    ...memberJson(state, member),
    avatar: null,
    banner: null,
    guild_id: change.guildId,
  };
  if (change.kind === 'memberAdded')
    return [planned(GatewayDispatchEvents.GuildMemberAdd, change.guildId, GatewayIntentBits.GuildMembers, d)];
  const aboutBot = change.userId === state.botUser.id;
  return [
    planned(GatewayDispatchEvents.GuildMemberUpdate, change.guildId, GatewayIntentBits.GuildMembers, d, {
      aboutBot,
    }),
  ];
}

function roleDispatch(
  world: World,
  change: Extract<WorldChange, { kind: 'roleCreated' | 'roleUpdated' }>,
): PlannedDispatch[] {
  const role = world.state.guilds.get(change.guildId)?.roles.get(change.roleId);
  if (!role) return [];
  const d: GatewayGuildRoleModifyDispatchData = { guild_id: change.guildId, role: roleJson(role) };
  const t =
    change.kind === 'roleCreated'
      ? GatewayDispatchEvents.GuildRoleCreate
      : GatewayDispatchEvents.GuildRoleUpdate;
  return [planned(t, change.guildId, GatewayIntentBits.Guilds, d)];
}

/** Whether this session gets the dispatch: its shard, its intents, and the bot still in the guild. */
export function sessionGets(world: World, session: GatewaySession, planned: PlannedDispatch): boolean {
  if (shardOf(planned.guildId, session.shard[1]) !== session.shard[0]) return false;
  if ((session.intents & planned.intent) === 0 && !planned.aboutBot) return false;
  if (planned.botJustLeft) return true;
  const guild = world.state.guilds.get(planned.guildId);
  return guild !== undefined && world.state.botInGuild(guild);
}

/** The guilds of a session's shard that the bot is in. */
export function guildsOfShard(world: World, shard: [number, number]): GuildRecord[] {
  return [...world.state.guilds.values()].filter(
    (guild) => world.state.botInGuild(guild) && shardOf(guild.id, shard[1]) === shard[0],
  );
}

export function readyPayload(
  world: World,
  session: GatewaySession,
  resumeGatewayUrl: string,
): GatewayReadyDispatchData {
  return {
    v: 10,
    user: userJson(world.state.botUser),
    guilds: guildsOfShard(world, session.shard).map((guild) => ({ id: guild.id, unavailable: true })),
    session_id: session.id,
    resume_gateway_url: resumeGatewayUrl,
    shard: [...session.shard],
    application: { id: world.app.id, flags: NO_APPLICATION_FLAGS, flags_new: '0' },
  };
}

/**
 * GUILD_CREATE: the full guild. Without presences the member list holds only the bot (Discord
 * sends other members only with GUILD_PRESENCES in small guilds); `member_count` is the real one.
 */
export function guildCreatePayload(
  world: World,
  guild: GuildRecord,
  session: GatewaySession,
): GatewayGuildCreateDispatchData {
  const { state } = world;
  const bot = guild.members.get(state.botUser.id);
  const channels = guild.channelIds.map((id) => state.channels.get(id)).filter((c) => c !== undefined);
  return {
    ...guildJson(guild, false, null),
    joined_at: bot?.joinedAt ?? new Date(world.now()).toISOString(),
    large: guild.members.size > session.largeThreshold,
    unavailable: false,
    member_count: guild.members.size,
    voice_states: [],
    members: bot ? [memberJson(state, bot)] : [],
    channels: channels.map((channel) =>
      channelJson(state, channel),
    ) as GatewayGuildCreateDispatchData['channels'],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
