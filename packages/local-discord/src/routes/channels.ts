import type { APIMessage } from 'discord-api-types/v10';
import { apiError } from '../errors.js';
import { basePermissions } from '../hierarchy.js';
import { jsonBody, param, type RouteContext } from '../http.js';
import { MessageFlag, validateMessage } from '../message-validation.js';
import { buildMessage, deleteMessage, editMessage, findByNonce, storeMessage } from '../messages.js';
import { Permission, hasPermission } from '../permissions.js';
import type { RouteDef } from '../router.js';
import { channelJson } from '../serialize.js';
import type { ChannelRecord } from '../state.js';
import type { World } from '../world.js';
import { channelForBot } from './access.js';

type ChannelAction = 'view' | 'send' | 'read-history';

/**
 * Channel permission checks. Guild channels: VIEW_CHANNEL (else 50001), then SEND_MESSAGES or
 * READ_MESSAGE_HISTORY (else 50013); overwrites are not modelled. DMs: closed DMs → 50007, no
 * shared guild with the bot → 50278.
 */
function assertCan(world: World, channel: ChannelRecord, action: ChannelAction): void {
  const { state } = world;
  if (channel.guildId === null) {
    if (action !== 'send') return;
    const recipient = state.requireUser(channel.recipientId ?? '');
    if (recipient.dmsClosed) throw apiError('CannotMessageUser');
    if (!state.sharesGuildWithBot(recipient.id)) throw apiError('NoMutualGuilds');
    return;
  }
  const guild = state.requireGuild(channel.guildId);
  const bits = basePermissions(guild, state.botUser.id);
  if (!hasPermission(bits, Permission.ViewChannel)) throw apiError('MissingAccess');
  if (action === 'send' && !hasPermission(bits, Permission.SendMessages))
    throw apiError('MissingPermissions');
  if (action === 'read-history' && !hasPermission(bits, Permission.ReadMessageHistory)) {
    throw apiError('MissingPermissions');
  }
}

function messageIn(channel: ChannelRecord, ctx: RouteContext): APIMessage {
  const message = channel.messages.get(param(ctx, 'messageId'));
  if (!message) throw apiError('UnknownMessage');
  return message;
}

export function channelRoutes(world: World): RouteDef[] {
  const { state } = world;
  return [
    {
      method: 'GET',
      pattern: '/channels/:channelId',
      auth: 'bot',
      bucket: 'messages',
      handle: (ctx) => {
        const channel = channelForBot(world, param(ctx, 'channelId'));
        assertCan(world, channel, 'view');
        return { status: 200, body: channelJson(state, channel) };
      },
    },
    {
      method: 'POST',
      pattern: '/channels/:channelId/messages',
      auth: 'bot',
      bucket: 'messages',
      handle: (ctx) => {
        const channel = channelForBot(world, param(ctx, 'channelId'));
        const fields = validateMessage(jsonBody(ctx), 'create');
        assertCan(world, channel, 'send');
        if (fields.enforceNonce && fields.nonce !== undefined) {
          const earlier = findByNonce(channel, state.botUser.id, fields.nonce, state.now());
          if (earlier) return { status: 200, body: earlier };
        }
        // Ephemeral exists only for interaction responses; Discord drops the bit here.
        if (fields.flags !== undefined) fields.flags &= ~MessageFlag.Ephemeral;
        const message = buildMessage(state, { channelId: channel.id, author: state.botUser, fields });
        storeMessage(state, channel, message);
        return { status: 200, body: message };
      },
    },
    {
      method: 'GET',
      pattern: '/channels/:channelId/messages/:messageId',
      auth: 'bot',
      bucket: 'messages',
      handle: (ctx) => {
        const channel = channelForBot(world, param(ctx, 'channelId'));
        assertCan(world, channel, 'read-history');
        return { status: 200, body: messageIn(channel, ctx) };
      },
    },
    {
      method: 'PATCH',
      pattern: '/channels/:channelId/messages/:messageId',
      auth: 'bot',
      bucket: 'messages',
      handle: (ctx) => {
        const channel = channelForBot(world, param(ctx, 'channelId'));
        assertCan(world, channel, 'view');
        const message = messageIn(channel, ctx);
        if (message.author.id !== state.botUser.id) throw apiError('CannotEditOthersMessage');
        const fields = validateMessage(jsonBody(ctx), 'edit');
        return { status: 200, body: editMessage(state, message, fields) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/channels/:channelId/messages/:messageId',
      auth: 'bot',
      bucket: 'messages',
      handle: (ctx) => {
        const channel = channelForBot(world, param(ctx, 'channelId'));
        assertCan(world, channel, 'view');
        const message = messageIn(channel, ctx);
        if (message.author.id !== state.botUser.id) throw apiError('MissingPermissions');
        deleteMessage(state, channel, message.id);
        return { status: 204 };
      },
    },
  ];
}
