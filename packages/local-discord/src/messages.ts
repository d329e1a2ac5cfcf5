import {
  MessageType,
  type APIEmbed,
  type APIMessage,
  type APIMessageTopLevelComponent,
  type MessageFlags,
} from 'discord-api-types/v10';
import { MessageFlag, type MessageFields } from './message-validation.js';
import { userJson } from './serialize.js';
import type { ChannelRecord, DiscordState, UserRecord } from './state.js';

export interface NewMessage {
  channelId: string;
  author: UserRecord;
  fields: MessageFields;
  /** Interaction replies are webhook messages of the application. */
  webhookId?: string;
  applicationId?: string;
  type?: MessageType;
}

/** A message as Discord returns it from Create Message / Execute Webhook. */
export function buildMessage(state: DiscordState, input: NewMessage): APIMessage {
  const { fields } = input;
  const message: APIMessage = {
    id: state.ids.next(),
    channel_id: input.channelId,
    author: userJson(input.author),
    content: fields.content ?? '',
    timestamp: new Date(state.now()).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: validated(fields.embeds ?? []),
    components: validated(fields.components ?? []),
    pinned: false,
    type: input.type ?? MessageType.Default,
    flags: (fields.flags ?? 0) as MessageFlags,
  };
  if (fields.nonce !== undefined) message.nonce = fields.nonce;
  if (input.webhookId !== undefined) message.webhook_id = input.webhookId;
  if (input.applicationId !== undefined) message.application_id = input.applicationId;
  return message;
}

/** Applies an edit; flags Discord won't let an edit change (ephemeral, loading) are kept. */
export function editMessage(state: DiscordState, message: APIMessage, fields: MessageFields): APIMessage {
  if (fields.content !== undefined) message.content = fields.content;
  if (fields.embeds !== undefined) message.embeds = validated(fields.embeds);
  if (fields.components !== undefined) message.components = validated(fields.components);
  const sticky = (message.flags ?? 0) & (MessageFlag.Ephemeral | MessageFlag.IsComponentsV2);
  if (fields.flags !== undefined) {
    message.flags = ((fields.flags & ~MessageFlag.Ephemeral) | sticky) as MessageFlags;
  }
  // An edit of a deferred ("thinking…") response replaces the loading state.
  message.flags = ((message.flags ?? 0) & ~MessageFlag.Loading) as MessageFlags;
  message.edited_timestamp = new Date(state.now()).toISOString();
  state.events.emit({ kind: 'messagesChanged', channelId: message.channel_id });
  return message;
}

export function storeMessage(state: DiscordState, channel: ChannelRecord, message: APIMessage): void {
  channel.messages.set(message.id, message);
  channel.lastMessageId = message.id;
  state.events.emit({ kind: 'messagesChanged', channelId: channel.id });
}

export function deleteMessage(state: DiscordState, channel: ChannelRecord, messageId: string): void {
  if (channel.messages.delete(messageId))
    state.events.emit({ kind: 'messagesChanged', channelId: channel.id });
}

/** `enforce_nonce`: the same nonce from the same author within a few minutes returns the first message. */
export function findByNonce(
  channel: ChannelRecord,
  authorId: string,
  nonce: string | number,
  now: number,
): APIMessage | undefined {
  for (const message of channel.messages.values()) {
    if (message.nonce === nonce && message.author.id === authorId) {
      if (now - Date.parse(message.timestamp) < 5 * 60_000) return message;
    }
  }
  return undefined;
}

/** Bodies that passed `validateMessage` are stored as sent, like Discord echoes them back. */
function validated<T extends APIEmbed | APIMessageTopLevelComponent>(list: readonly unknown[]): T[] {
  return list as T[];
}
