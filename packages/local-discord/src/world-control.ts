import type { APIMessage } from 'discord-api-types/v10';
import type { LocalDiscord, SandboxGuild } from './api.js';
import { basePermissions, sortedRoles } from './hierarchy.js';
import { DEFAULT_BOT_PERMISSIONS, toPermissionBits } from './permissions.js';
import { channelJson, guildJson, memberJson, roleJson, userJson } from './serialize.js';
import type { World } from './world.js';

/** The part of the control API that builds, changes and reads the world. */
export type WorldControl = Pick<
  LocalDiscord,
  | 'createGuild'
  | 'getGuild'
  | 'setGuildOwner'
  | 'createRole'
  | 'listRoles'
  | 'setRolePosition'
  | 'moveRole'
  | 'moveRoleAboveBot'
  | 'setRolePermissions'
  | 'deleteRole'
  | 'setBotPermissions'
  | 'setBotRoles'
  | 'botPermissions'
  | 'addBot'
  | 'removeBot'
  | 'createUser'
  | 'getUser'
  | 'addMember'
  | 'populateGuild'
  | 'removeMember'
  | 'memberLeaves'
  | 'memberRejoins'
  | 'moderatorRemovesRole'
  | 'moderatorAddsRole'
  | 'getMember'
  | 'setMemberRoles'
  | 'banUser'
  | 'unbanUser'
  | 'setUserGuildCount'
  | 'setDmsClosed'
  | 'setMembersIntent'
  | 'setPrivilegedIntent'
  | 'createChannel'
  | 'channelMessages'
  | 'dmMessages'
  | 'onWorldChange'
>;

export function worldControl(world: World): WorldControl {
  return { ...guildControl(world), ...memberControl(world) };
}

/** Guilds, roles and the bot. */
function guildControl(world: World) {
  const { state } = world;
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

  return {
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
    moveRole: (guildId, roleId, position) => state.roles.move(guildId, roleId, position),
    moveRoleAboveBot: (guildId, roleId) => state.roles.moveAboveBot(guildId, roleId),
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
    createChannel: (guildId, channelName) => channelJson(state, state.createChannel(guildId, channelName)),
  } satisfies Partial<WorldControl>;
}

/** Users, members, intents, messages and the change feed. */
function memberControl(world: World) {
  const { state } = world;
  const guildOf = (guildId: string) => state.requireGuild(guildId);
  const messagesOf = (channelId: string | undefined): APIMessage[] =>
    channelId === undefined ? [] : [...(state.channels.get(channelId)?.messages.values() ?? [])];
  const requireMembership = (guildId: string, userId: string) => {
    if (!guildOf(guildId).members.has(userId))
      throw new Error(`Local Discord: ${userId} is not a member of ${guildId}`);
  };

  return {
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
    memberLeaves: (guildId, userId) => {
      requireMembership(guildId, userId);
      state.removeMember(guildId, userId);
    },
    memberRejoins: (guildId, userId) => {
      if (guildOf(guildId).members.has(userId))
        throw new Error(`Local Discord: ${userId} is already a member of ${guildId}`);
      return memberJson(state, state.addMember(guildId, userId));
    },
    moderatorRemovesRole: (guildId, userId, roleId) => {
      state.roles.require(guildId, roleId);
      state.removeMemberRole(guildId, userId, roleId);
    },
    moderatorAddsRole: (guildId, userId, roleId) => {
      state.roles.require(guildId, roleId);
      state.addMemberRole(guildId, userId, roleId);
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
    setPrivilegedIntent: (intent, enabled) => {
      if (enabled) state.privilegedIntents.add(intent);
      else state.privilegedIntents.delete(intent);
    },
    channelMessages: (channelId) => messagesOf(channelId),
    dmMessages: (userId) => messagesOf(state.dmChannelIdOf(userId)),
    onWorldChange: (listener) => state.events.on(listener),
  } satisfies Partial<WorldControl>;
}
