/**
 * Interned role-id lists. A guild of a million members has a handful of distinct role
 * combinations, so a member stores the number of its list instead of an array of strings.
 * Lists keep the order roles were given in (Discord returns a member's roles unsorted).
 */
export class RoleLists {
  private readonly lists: (readonly string[])[] = [[]];
  private readonly numbers = new Map<string, number>([['', 0]]);

  /** The number of the list `roleIds` (duplicates dropped); 0 is the empty list. */
  intern(roleIds: readonly string[]): number {
    const unique = [...new Set(roleIds)];
    const key = unique.join(',');
    const known = this.numbers.get(key);
    if (known !== undefined) return known;
    this.lists.push(Object.freeze(unique));
    this.numbers.set(key, this.lists.length - 1);
    return this.lists.length - 1;
  }

  get(listNumber: number): readonly string[] {
    return this.lists[listNumber] ?? [];
  }

  with(listNumber: number, roleId: string): number {
    const list = this.get(listNumber);
    return list.includes(roleId) ? listNumber : this.intern([...list, roleId]);
  }

  without(listNumber: number, roleId: string): number {
    const list = this.get(listNumber);
    return list.includes(roleId) ? this.intern(list.filter((id) => id !== roleId)) : listNumber;
  }
}
