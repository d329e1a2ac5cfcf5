import type { RoleLists } from './role-lists.js';
import type { UserTable } from './user-table.js';

/** A member as the world knows it: a snapshot, changed only through the state's methods. */
export interface MemberRecord {
  readonly userId: string;
  /** Excludes @everyone, as Discord's member objects do. */
  readonly roleIds: readonly string[];
  readonly joinedAt: string;
  readonly nick: string | null;
}

/**
 * One guild's members in columns sorted by user slot — which is user id order, since user slots
 * are handed out in id order (`UserTable`). Finding a member is a binary search over 32-bit
 * integers, a page of List Guild Members is a binary search plus `limit` reads, and a million
 * members take about 16 MB (slot, join time, role list number). Joins and leaves in the middle
 * move the tail with `copyWithin`: a memmove of a few MB, not a scan in JavaScript.
 */
export class MemberTable {
  private userSlots = new Uint32Array(16);
  private joinedAt = new Float64Array(16);
  private roleLists = new Uint32Array(16);
  private count = 0;

  constructor(
    private readonly users: UserTable,
    private readonly lists: RoleLists,
  ) {}

  get size(): number {
    return this.count;
  }

  has(userId: string): boolean {
    return this.indexOf(userId) !== -1;
  }

  get(userId: string): MemberRecord | undefined {
    const index = this.indexOf(userId);
    return index === -1 ? undefined : this.recordAt(index);
  }

  /** Adds a member; the caller has checked the user exists and is not a member yet. */
  add(userId: string, roleIds: readonly string[], joinedAtMs: number): MemberRecord {
    const userSlot = this.users.slotOf(userId);
    if (userSlot === -1) throw new Error(`Local Discord: no user ${userId}`);
    const index = this.lowerBound(userSlot);
    if (index < this.count && this.userSlots[index] === userSlot)
      throw new Error(`Local Discord: ${userId} is already a member`);
    this.insertAt(index, userSlot, joinedAtMs, this.lists.intern(roleIds));
    return this.recordAt(index);
  }

  /** Appends members for consecutive user slots (a bulk load); `roleListOf` gives each one's list. */
  addRange(
    firstUserSlot: number,
    count: number,
    joinedAtMs: number,
    roleListOf: (i: number) => number,
  ): void {
    const last = this.count === 0 ? -1 : (this.userSlots[this.count - 1] ?? 0);
    if (firstUserSlot <= last) throw new Error('Local Discord: a bulk load must come after every member');
    this.reserve(this.count + count);
    for (let i = 0; i < count; i += 1) {
      this.userSlots[this.count] = firstUserSlot + i;
      this.joinedAt[this.count] = joinedAtMs;
      this.roleLists[this.count] = roleListOf(i);
      this.count += 1;
    }
  }

  remove(userId: string): boolean {
    const index = this.indexOf(userId);
    if (index === -1) return false;
    for (const column of [this.userSlots, this.joinedAt, this.roleLists]) {
      column.copyWithin(index, index + 1, this.count);
    }
    this.count -= 1;
    return true;
  }

  /** Replaces the member's roles; returns false when they were already exactly these. */
  setRoles(userId: string, roleIds: readonly string[]): boolean {
    const index = this.indexOf(userId);
    if (index === -1) throw new Error(`Local Discord: ${userId} is not a member`);
    const list = this.lists.intern(roleIds);
    if (this.roleLists[index] === list) return false;
    this.roleLists[index] = list;
    return true;
  }

  /** Drops a deleted role from every member: one pass over the role-list column. */
  dropRole(roleId: string): void {
    const replaced = new Map<number, number>();
    for (let index = 0; index < this.count; index += 1) {
      const list = this.roleLists[index] ?? 0;
      let next = replaced.get(list);
      if (next === undefined) {
        next = this.lists.without(list, roleId);
        replaced.set(list, next);
      }
      this.roleLists[index] = next;
    }
  }

  /** Up to `limit` members with a user id greater than `afterUserId`, in id order. */
  page(afterUserId: string, limit: number): MemberRecord[] {
    const start = this.lowerBound(this.users.firstSlotAfter(afterUserId));
    const end = Math.min(this.count, start + limit);
    const page: MemberRecord[] = [];
    for (let index = start; index < end; index += 1) page.push(this.recordAt(index));
    return page;
  }

  *values(): Generator<MemberRecord> {
    for (let index = 0; index < this.count; index += 1) yield this.recordAt(index);
  }

  private recordAt(index: number): MemberRecord {
    const userSlot = this.userSlots[index] ?? 0;
    return {
      userId: this.users.idAt(userSlot),
      roleIds: this.lists.get(this.roleLists[index] ?? 0),
      joinedAt: new Date(this.joinedAt[index] ?? 0).toISOString(),
      // The Local Discord has no nickname route; Discord's field is kept for the JSON shape.
      nick: null,
    };
  }

  private indexOf(userId: string): number {
    const userSlot = this.users.slotOf(userId);
    if (userSlot === -1) return -1;
    const index = this.lowerBound(userSlot);
    return index < this.count && this.userSlots[index] === userSlot ? index : -1;
  }

  private insertAt(index: number, userSlot: number, joinedAtMs: number, list: number): void {
    this.reserve(this.count + 1);
    for (const column of [this.userSlots, this.joinedAt, this.roleLists]) {
      column.copyWithin(index + 1, index, this.count);
    }
    this.userSlots[index] = userSlot;
    this.joinedAt[index] = joinedAtMs;
    this.roleLists[index] = list;
    this.count += 1;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.userSlots.length) return;
    const size = Math.max(capacity, this.userSlots.length * 2);
    const userSlots = new Uint32Array(size);
    userSlots.set(this.userSlots.subarray(0, this.count));
    const joinedAt = new Float64Array(size);
    joinedAt.set(this.joinedAt.subarray(0, this.count));
    const roleLists = new Uint32Array(size);
    roleLists.set(this.roleLists.subarray(0, this.count));
    this.userSlots = userSlots;
    this.joinedAt = joinedAt;
    this.roleLists = roleLists;
  }

  private lowerBound(userSlot: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.userSlots[mid] ?? 0) < userSlot) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
