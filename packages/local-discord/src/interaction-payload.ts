import type { APIMessage } from 'discord-api-types/v10';
import type { CommandStore } from './commands.js';
import { basePermissions } from './hierarchy.js';
import { buildMessage } from './messages.js';
import { randomToken } from './oauth-store.js';
import { channelJson, memberJson, userJson } from './serialize.js';
import type { DiscordState } from './state.js';

export interface InteractionInput {
  /** 1 PING · 2 APPLICATION_COMMAND · 3 MESSAGE_COMPONENT. */
  type: 1 | 2 | 3;
  /** Omitted = the interaction comes from a DM with the bot. */
  guildId?: string;
  /** Who acted; required except for PING. In a guild they must be a member. */
  userId?: string;
  /** Default: the guild's system channel, or the DM channel. */
  channelId?: string;
  /** Command `{name, options}` or component `{custom_id, component_type?, values?}`. */
  data?: {
    name?: string;
    options?: unknown[];
    custom_id?: string;
    component_type?: number;
    values?: string[];
  };
  /** Component interactions: the message the clicked component is on. */
  messageId?: string;
  locale?: string;
}

export interface BuiltInteraction {
  id: string;
  token: string;
  payload: Record<string, unknown>;
  /** Where replies land: the guild channel or the user's DM channel; null for PING. */
  channelId: string | null;
}

/** The JSON body Discord POSTs to an interactions endpoint. */
export function buildInteractionPayload(
  state: DiscordState,
  commands: CommandStore,
  applicationId: string,
  input: InteractionInput,
): BuiltInteraction {
  const id = state.ids.next();
  const token = `aW50ZXJhY3Rpb246${id}:${randomToken(64)}`;
  const payload: Record<string, unknown> = {
    id,
    application_id: applicationId,
    type: input.type,
    token,
    version: 1,
    entitlements: [],
  };
  if (input.type === 1) return { id, token, payload, channelId: null };
  const { fields, channelId } = context(state, input);
  Object.assign(payload, fields);
  payload['data'] = interactionData(state, commands, input);
  if (input.type === 3) payload['message'] = clickedMessage(state, input, channelId);
  return { id, token, payload, channelId };
}

/** Who and where: member + guild + channel, or user + DM channel. */
function context(
  state: DiscordState,
  input: InteractionInput,
): { fields: Record<string, unknown>; channelId: string } {
  if (input.userId === undefined)
    throw new Error('Local Discord: interactions other than PING need a userId');
  const user = state.requireUser(input.userId);
  const fields: Record<string, unknown> = {
    locale: input.locale ?? 'en-US',
    attachment_size_limit: 10_485_760,
  };
  if (input.guildId === undefined) {
    const channel = state.dmChannel(user.id);
    Object.assign(fields, {
      channel_id: channel.id,
      channel: channelJson(state, channel),
      user: userJson(user),
      app_permissions: '1125899906842623',
      authorizing_integration_owners: { '1': user.id },
      context: 1,
    });
    return { fields, channelId: channel.id };
  }
  const guild = state.requireGuild(input.guildId);
  const member = guild.members.get(user.id);
  if (!member) throw new Error(`Local Discord: user ${user.id} is not a member of ${guild.id}`);
  const channelId = input.channelId ?? guild.systemChannelId ?? '';
  const channel = state.channels.get(channelId);
  if (!channel) throw new Error(`Local Discord: no channel ${channelId}`);
  Object.assign(fields, {
    guild_id: guild.id,
    guild: { id: guild.id, locale: 'en-US', features: [] },
    guild_locale: 'en-US',
    channel_id: channel.id,
    channel: channelJson(state, channel),
    member: { ...memberJson(state, member), permissions: basePermissions(guild, user.id).toString() },
    app_permissions: basePermissions(guild, state.botUser.id).toString(),
    authorizing_integration_owners: { '0': guild.id },
    context: 0,
  });
  return { fields, channelId: channel.id };
}

function interactionData(
  state: DiscordState,
  commands: CommandStore,
  input: InteractionInput,
): Record<string, unknown> {
  const data = input.data ?? {};
  if (input.type === 2) {
    const name = data.name ?? '';
    const command = commands.find(name, input.guildId);
    const out: Record<string, unknown> = { id: command?.id ?? state.ids.next(), name, type: 1 };
    if (data.options !== undefined) out['options'] = data.options;
    if (command?.guild_id !== undefined) out['guild_id'] = command.guild_id;
    return out;
  }
  const out: Record<string, unknown> = {
    custom_id: data.custom_id ?? '',
    component_type: data.component_type ?? 2,
  };
  if (data.values !== undefined) out['values'] = data.values;
  return out;
}

/** The message the clicked component is on: a stored one, or a stand-in with that button. */
function clickedMessage(state: DiscordState, input: InteractionInput, channelId: string): APIMessage {
  const channel = state.channels.get(channelId);
  if (input.messageId !== undefined) {
    const stored = channel?.messages.get(input.messageId);
    if (!stored) throw new Error(`Local Discord: no message ${input.messageId} in ${channelId}`);
    return stored;
  }
  const button = { type: 2, style: 1, label: 'Button', custom_id: input.data?.custom_id ?? 'button' };
  return buildMessage(state, {
    channelId,
    author: state.botUser,
    fields: { content: '', components: [{ type: 1, components: [button] }] },
  });
}
