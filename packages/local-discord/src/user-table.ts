import { isSnowflake } from './snowflake.js';

/** A user as the world knows it: a snapshot, changed only through the table's methods. */
export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly globalName: string | null;
  readonly bot: boolean;
  readonly dmsClosed: boolean;
  /** Guilds the user is in outside this Local Discord (counts towards the 100-guild cap). */
  readonly externalGuildCount: number;
}

export interface NewUser {
  id: bigint;
  username: string;
  globalName?: string | null;
  bot?: boolean;
}

const BOT = 1;
const DMS_CLOSED = 2;

/** Users created in bulk are named `${prefix}${index}`: one record per batch instead of a string each. */
interface GeneratedNames {
  firstSlot: number;
  count: number;
  prefix: string;
}

/**
 * Every user, in columns. Ids only grow (`SnowflakeFactory`), so users are appended in id order and
 * a user's slot is its rank: lookups are a binary search and "members after id X" a slot
 * comparison. A million users cost about 10 MB here instead of ~200 MB as objects in a Map; the
 * rarely set fields (global name, custom username, external guild count) live in sparse maps.
 */
export class UserTable {
  private ids = new BigUint64Array(1024);
  private flags = new Uint8Array(1024);
  private count = 0;
  private readonly names = new Map<number, string>();
  private readonly generated: GeneratedNames[] = [];
  private readonly globalNames = new Map<number, string>();
  private readonly externalGuilds = new Map<number, number>();

  get size(): number {
    return this.count;
  }

  add(input: NewUser): number {
    const slot = this.append(input.id);
    this.names.set(slot, input.username);
    if (input.globalName) this.globalNames.set(slot, input.globalName);
    if (input.bot) this.flags[slot] = BOT;
    return slot;
  }

  /** `count` users named `${prefix}0`, `${prefix}1`…; returns the first slot. */
  addGenerated(count: number, prefix: string, nextId: () => bigint): number {
    const firstSlot = this.count;
    this.reserve(this.count + count);
    for (let i = 0; i < count; i += 1) this.append(nextId());
    this.generated.push({ firstSlot, count, prefix });
    return firstSlot;
  }

  /** The user's slot, or -1. */
  slotOf(id: string): number {
    if (!isSnowflake(id)) return -1;
    const wanted = BigInt(id);
    const slot = this.lowerBound(wanted);
    return slot < this.count && this.ids[slot] === wanted ? slot : -1;
  }

  /** The first slot whose id is greater than `id` (a snowflake string). */
  firstSlotAfter(id: string): number {
    return this.lowerBound(BigInt(id) + 1n);
  }

  idAt(slot: number): string {
    return (this.ids[slot] ?? 0n).toString();
  }

  has(id: string): boolean {
    return this.slotOf(id) !== -1;
  }

  get(id: string): UserRecord | undefined {
    const slot = this.slotOf(id);
    return slot === -1 ? undefined : this.at(slot);
  }

  at(slot: number): UserRecord {
    const flags = this.flags[slot] ?? 0;
    return {
      id: this.idAt(slot),
      username: this.usernameAt(slot),
      globalName: this.globalNames.get(slot) ?? null,
      bot: (flags & BOT) !== 0,
      dmsClosed: (flags & DMS_CLOSED) !== 0,
      externalGuildCount: this.externalGuilds.get(slot) ?? 0,
    };
  }

  setDmsClosed(slot: number, closed: boolean): void {
    const flags = this.flags[slot] ?? 0;
    this.flags[slot] = closed ? flags | DMS_CLOSED : flags & ~DMS_CLOSED;
  }

  setExternalGuildCount(slot: number, count: number): void {
    if (count === 0) this.externalGuilds.delete(slot);
    else this.externalGuilds.set(slot, count);
  }

  /** The first `limit` users that pass `keep`, in id order (pages that list people stay short). */
  list(keep: (user: UserRecord) => boolean, limit: number): UserRecord[] {
    const found: UserRecord[] = [];
    for (let slot = 0; slot < this.count && found.length < limit; slot += 1) {
      const user = this.at(slot);
      if (keep(user)) found.push(user);
    }
    return found;
  }

  private usernameAt(slot: number): string {
    const explicit = this.names.get(slot);
    if (explicit !== undefined) return explicit;
    const batch = this.generated.find((g) => slot >= g.firstSlot && slot < g.firstSlot + g.count);
    return batch ? `${batch.prefix}${slot - batch.firstSlot}` : '';
  }

  private append(id: bigint): number {
    const last = this.count === 0 ? -1n : (this.ids[this.count - 1] ?? 0n);
    if (id <= last) throw new Error(`Local Discord: user ids must grow (${id} after ${last})`);
    this.reserve(this.count + 1);
    this.ids[this.count] = id;
    this.count += 1;
    return this.count - 1;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.ids.length) return;
    const size = Math.max(capacity, this.ids.length * 2);
    const ids = new BigUint64Array(size);
    ids.set(this.ids.subarray(0, this.count));
    const flags = new Uint8Array(size);
    flags.set(this.flags.subarray(0, this.count));
    this.ids = ids;
    this.flags = flags;
  }

  private lowerBound(wanted: bigint): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.ids[mid] ?? 0n) < wanted) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
