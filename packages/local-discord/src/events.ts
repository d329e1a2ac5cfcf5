import { EventEmitter } from 'node:events';

/**
 * Something changed in the world. Emitted synchronously by the state right after the change, so a
 * listener reads the world as it is now (a removed member's user still exists; a deleted role
 * does not). Bulk loads (`populateGuild`) emit nothing: they stand for members who were there
 * before anyone watched.
 */
export type WorldChange =
  | { kind: 'memberAdded'; guildId: string; userId: string }
  /** Roles (or other fields) of a member changed — by the bot over REST, or by anyone else. */
  | { kind: 'memberUpdated'; guildId: string; userId: string }
  /** Left, kicked or banned. */
  | { kind: 'memberRemoved'; guildId: string; userId: string }
  | { kind: 'roleCreated'; guildId: string; roleId: string }
  /** Name, permissions or position. */
  | { kind: 'roleUpdated'; guildId: string; roleId: string }
  | { kind: 'roleDeleted'; guildId: string; roleId: string }
  | { kind: 'botJoined'; guildId: string }
  | { kind: 'botRemoved'; guildId: string }
  /** A message was posted, edited or deleted in the channel (the member view follows this). */
  | { kind: 'messagesChanged'; channelId: string };

export type WorldChangeListener = (change: WorldChange) => void;

/** The world's one event emitter: the gateway and the member view listen here. */
export class WorldEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every gateway session and every open member view is a listener.
    this.emitter.setMaxListeners(0);
  }

  emit(change: WorldChange): void {
    this.emitter.emit('change', change);
  }

  on(listener: WorldChangeListener): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}
